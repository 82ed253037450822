import { existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Tests in a real browser: Debian's chromium (.ci/run installs it; never downloaded), driven by
 * playwright-core. Imported by browser tests only (`@premiere/testing/browser`), so that no
 * other test loads playwright.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Whether browser tests run: with chromium here, or under CI (CI=true), where its absence fails them. */
export const canRunBrowser = existsSync(CHROMIUM) || !!process.env.CI;

/** A headless chromium as CI runs it; `artifacts`: the folder its screenshots go to, made first. */
export function launchBrowser(artifacts?: string): Promise<Browser> {
  if (artifacts) mkdirSync(artifacts, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/** An axe-core finding a browser test reports: the rule, how bad, and where. */
export interface AccessibilityProblem {
  rule: string;
  impact: string;
  help: string;
  targets: string[];
}

/**
 * axe-core's WCAG 2.x A/AA rules run in the page as it is now; the serious and critical findings
 * (a test expects none). The script comes from the axe-core package, never the network, added once
 * per document (a test asks in every state of a page).
 */
export async function accessibilityProblems(page: Page): Promise<AccessibilityProblem[]> {
  if (!(await page.evaluate(() => typeof (globalThis as unknown as { axe?: unknown }).axe !== 'undefined')))
    await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  const violations = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: {
          run: (
            ctx: unknown,
            opts: unknown,
          ) => Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }>;
        };
      }
    ).axe;
    const result = await axe.run((globalThis as unknown as { document: unknown }).document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
    });
    return result.violations;
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ rule: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
}
