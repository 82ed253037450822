import { existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/**
 * Tests in a real browser: Debian's chromium (.ci/run installs it; never downloaded), driven by
 * playwright-core. Imported by browser tests only (`@premiere/runtime/testing/browser`), so that no
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
