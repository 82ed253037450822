import http from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { createFunction, type RunningFunction } from '@premiere/runtime';
import {
  captureLogs,
  createTestDatabase,
  createTestRedisPrefix,
  testEnv,
  type TestDatabase,
  loadDemoCatalog,
  addTestShow,
  TEST_SIGNING_KEYS,
} from '@premiere/testing';
import { canRunBrowser, launchBrowser } from '@premiere/testing/browser';
import { roomKeys } from '@premiere/waiting-room';
import { issueToken } from '../src';

/**
 * Another site's page framing the waiting room, as an attacker tries it in a real browser: the
 * page's script joins on load, and inside the frame its requests are the site's own (same-origin,
 * past the cross-site check), so a hidden frame on a busy site would take a token for each of its
 * visitors, from each one's own address. The browser must refuse to show our page in another
 * site's frame, and no token is taken. (The cross-site requests themselves: security.test.ts.)
 */
let db: TestDatabase;
const redis = createTestRedisPrefix();
let fn: RunningFunction;
let premiere: string;
let attacker: http.Server;
/** The attacker's site: another host than the function's 127.0.0.1, hence another site. */
let attackerUrl: string;
let browser: Browser;

const browserTest = canRunBrowser ? describe : describe.skip;
browserTest('the waiting room framed by another site', () => {
  beforeAll(async () => {
    db = await createTestDatabase();
    await loadDemoCatalog(db.url);
    fn = createFunction(
      issueToken,
      testEnv(db, redis.prefix, { TOKEN_SIGNING_KEYS: TEST_SIGNING_KEYS, STATUS_SNAPSHOT_MS: '0' }),
      captureLogs().stream,
    );
    await fn.start();
    premiere = `http://127.0.0.1:${fn.server.info.port}`;
    attacker = http.createServer((req, res) => {
      const frame = new URL(req.url!, 'http://x').searchParams.get('frame')!;
      res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        .end(
          `<!doctype html><title>Cute cats</title><h1>Cute cats</h1><iframe src="${frame}" width="1" height="1" style="opacity:0"></iframe>`,
        );
    });
    await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', r));
    attackerUrl = `http://localhost:${(attacker.address() as { port: number }).port}`;
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    attacker?.closeAllConnections();
    await new Promise((r) => attacker?.close(r));
    await fn?.stop();
    await db?.drop();
    await redis.clean();
  });

  /** Opens `url` in a new visitor's browser for `ms`; the requests to the waiting room's API it made. */
  async function visit(url: string, ms: number): Promise<{ page: Page; joins: number }> {
    const page = await (await browser.newContext()).newPage();
    let joins = 0;
    page.on('request', (r) => {
      if (r.url().startsWith(premiere) && r.url().endsWith('/join')) joins++;
    });
    await page.goto(url);
    await page.waitForTimeout(ms);
    return { page, joins };
  }
  const issued = async (showId: string) => Number((await fn.ctx.redis.hget(roomKeys(showId).room, 'issued')) ?? 0);

  it('is not shown in the frame, and its visitors take no token', async () => {
    const showId = await addTestShow(db.url, { seats: 40 });
    const waitingRoom = `${premiere}/waiting-room/${showId}`;
    const visitors = await Promise.all(
      [1, 2, 3].map(() => visit(`${attackerUrl}/?frame=${encodeURIComponent(waitingRoom)}`, 3_000)),
    );
    try {
      expect(visitors.map((v) => v.joins)).toEqual([0, 0, 0]);
      expect(await issued(showId)).toBe(0);
      // The frame stayed empty: our page's text never rendered inside it.
      const framed = visitors[0].page.frames().find((f) => f !== visitors[0].page.mainFrame());
      expect(
        await framed
          ?.evaluate(
            () =>
              (globalThis as unknown as { document: { body?: { innerText: string } } }).document.body?.innerText ?? '',
          )
          .catch(() => ''),
      ).not.toMatch(/\S/);
    } finally {
      await Promise.all(visitors.map((v) => v.page.context().close()));
    }

    // Not a test that refuses everything: the same page opened as itself joins the line.
    const own = await visit(waitingRoom, 2_000);
    try {
      expect(own.joins).toBe(1);
      expect(await issued(showId)).toBe(1);
    } finally {
      await own.page.context().close();
    }
  }, 60_000);
});
