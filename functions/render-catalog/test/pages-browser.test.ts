import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createFunction, type RunningFunction } from '@premiere/runtime';
import {
  captureLogs,
  createTestDatabase,
  createTestRedisPrefix,
  testEnv,
  type TestDatabase,
  loadDemoCatalog,
} from '@premiere/testing';
import { accessibilityProblems, canRunBrowser, launchBrowser } from '@premiere/testing/browser';
import { renderCatalog } from '../src';

/**
 * The catalog's pages in a real browser, served by render-catalog itself (no stack): on a phone
 * every link a thumb aims at is a 44×44 px target (WCAG 2.5.5), on a desktop the page looks as it
 * did; nothing axe finds serious. Screenshots in test-artifacts/catalog. (The catalog clicked
 * through on the way to a purchase: local-stack/test/purchase.test.ts and sold-out.browser.test.ts.)
 */
const ARTIFACTS = path.resolve(__dirname, '../../../test-artifacts/catalog');
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true } as const;
const DESKTOP = { viewport: { width: 1280, height: 800 } } as const;

let db: TestDatabase;
const redis = createTestRedisPrefix();
let fn: RunningFunction;
let url: string;

const browserTest = canRunBrowser ? describe : describe.skip;
browserTest('the catalog’s pages in a real browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    db = await createTestDatabase();
    await loadDemoCatalog(db.url);
    fn = createFunction(renderCatalog, testEnv(db, redis.prefix, { CATALOG_MEMORY_MS: '0' }), captureLogs().stream);
    await fn.start();
    url = `http://127.0.0.1:${fn.server.info.port}`;
    browser = await launchBrowser(ARTIFACTS);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await fn?.stop();
    await db?.drop();
    await redis.clean();
  });

  /** The links a thumb aims at on this page (the header's, the movies' titles, a filter's way back), each with its size. */
  const targets = (page: Page) =>
    page
      .locator('header a, .movie a.title, .card h2 a, .card h3 a, .filter a, .cinemas a, a.show, main .button')
      .evaluateAll((links) =>
        links.map((a) => {
          const r = a.getBoundingClientRect();
          return {
            link: `${a.closest('header') ? 'header ' : ''}${a.textContent?.trim()}`,
            width: Math.round(r.width * 10) / 10,
            height: Math.round(r.height * 10) / 10,
          };
        }),
      );
  const PAGES = [
    ['home', '/'],
    ['movie', '/movies/last-starfall'],
    ['movie-city', `/movies/harbor-lights?city=${encodeURIComponent('São Paulo')}`],
    ['cinema', '/cinemas/paulista'],
    ['not-found', '/movies/no-such-movie'],
  ] as const;

  it.each(['pt-BR', 'en'] as const)(
    'on a phone in %s: every link a thumb aims at is at least 44×44 px, and axe finds nothing serious',
    async (locale) => {
      const page = await browser.newPage({ ...PHONE, locale });
      try {
        for (const [name, at] of PAGES) {
          await page.goto(`${url}${at}`);
          const small = (await targets(page)).filter((t) => t.width < 44 || t.height < 44);
          expect({ page: name, small }).toEqual({ page: name, small: [] });
          expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
          expect({ page: name, problems: await accessibilityProblems(page) }).toEqual({ page: name, problems: [] });
          await page.screenshot({ path: path.join(ARTIFACTS, `${locale}-phone-${name}.png`), fullPage: true });
        }
      } finally {
        await page.close();
      }
    },
    60_000,
  );

  it('on a desktop: the header as tall as it was (48 px), the movies’ titles on one line with their rating', async () => {
    const page = await browser.newPage({ ...DESKTOP, locale: 'pt-BR' });
    try {
      for (const [name, at] of PAGES) {
        await page.goto(`${url}${at}`);
        const header = await page.locator('header').evaluate((h) => h.getBoundingClientRect().height);
        expect(Math.abs(header - 48)).toBeLessThanOrEqual(2);
        expect({ page: name, problems: await accessibilityProblems(page) }).toEqual({ page: name, problems: [] });
        await page.screenshot({ path: path.join(ARTIFACTS, `pt-BR-desktop-${name}.png`), fullPage: true });
      }
    } finally {
      await page.close();
    }
  }, 60_000);
});
