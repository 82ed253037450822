import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import pg from 'pg';
import type Hapi from '@hapi/hapi';
import type { Browser } from 'playwright-core';
import { migrate } from '@premiere/runtime';
import { sessionHash, TokenSigner } from '@premiere/contracts';
import {
  eventAuthEnv,
  eventAuthorization,
  eventually,
  addTestShow,
  TEST_SIGNING_KEYS,
  restartablePostgres,
  restartableRedis,
  type Restartable,
} from '@premiere/testing';
import { accessibilityProblems, canRunBrowser, launchBrowser } from '@premiere/testing/browser';
import { catalogSeats, createLegacyCinema } from '@premiere/simulators';
import { loadDemoCatalog } from '../src/demo-catalog';

/**
 * The order page open in a browser while reserve-seat's PostgreSQL is killed (`kill -9`) and comes
 * back: the real function answers its polls 503 with Retry-After, the page says calmly that it is
 * reconnecting (no error, what it showed stays), tries again by itself, and catches up with a
 * payment approved meanwhile, with no reload. reserve-seat runs as its container does
 * (dist/main.js) on a PostgreSQL and a redis-server of this test's own. Screenshots in
 * test-artifacts/purchase. (The same page against answers made up in the browser, faster:
 * functions/reserve-seat/test/order-pages.test.ts.)
 */
const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts/purchase');

const browserTest = canRunBrowser ? describe : describe.skip;
browserTest('the order page while reserve-seat’s database is gone', () => {
  let postgres: Restartable;
  let redis: Restartable;
  let legacy: Hapi.Server;
  let reserveSeat: { child: ChildProcess; output: string; url: string };
  let browser: Browser;
  // The broker: takes reserve-seat's events (the payment request goes nowhere; the test approves it).
  const broker = http.createServer((req, res) => {
    req.resume();
    res.writeHead(202).end();
  });

  beforeAll(async () => {
    [postgres, redis] = await Promise.all([restartablePostgres(), restartableRedis()]);
    await migrate(postgres.url);
    await loadDemoCatalog(postgres.url);
    await new Promise<void>((r) => broker.listen(0, '127.0.0.1', r));
    const catalog = new pg.Pool({ connectionString: postgres.url, max: 2 });
    catalog.on('error', () => undefined);
    legacy = createLegacyCinema({
      port: 0,
      seatsOf: catalogSeats(catalog),
      latencyMs: [50, 150],
      concurrencyLimit: 10,
      holdSeconds: 300,
      overload: '503',
      stallMs: 0,
    });
    legacy.events.on('stop', () => void catalog.end());
    await legacy.start();
    const child = spawn(process.execPath, [path.resolve(__dirname, '../../functions/reserve-seat/dist/main.js')], {
      env: {
        ...process.env,
        PORT: '0',
        HOST: '127.0.0.1',
        DATABASE_URL: postgres.url,
        REDIS_URL: redis.url,
        K_SINK: `http://127.0.0.1:${(broker.address() as { port: number }).port}/`,
        LEGACY_URL: `http://127.0.0.1:${legacy.info.port}`,
        TOKEN_SIGNING_KEYS: TEST_SIGNING_KEYS,
        ADDRESS_HELD_SEATS_SHARE: '0',
        HOLD_SECONDS: '300',
        ADMIN_TOKEN: 'order-outage-admin-token-0123456789',
        LOG_LEVEL: 'info',
        SHUTDOWN_DRAIN_MS: '0',
        ...eventAuthEnv(),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    reserveSeat = { child, output: '', url: '' };
    child.stdout!.on('data', (c) => (reserveSeat.output += c));
    child.stderr!.on('data', (c) => (reserveSeat.output += c));
    const port = await eventually(() => /"port":(\d+)/.exec(reserveSeat.output)?.[1], 20_000).catch(() => {
      throw new Error(`reserve-seat did not start: ${reserveSeat.output.slice(-2_000)}`);
    });
    reserveSeat.url = `http://127.0.0.1:${port}`;
    await eventually(async () => (await fetch(`${reserveSeat.url}/readyz`)).ok, 20_000, 100);
    browser = await launchBrowser(ARTIFACTS);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (reserveSeat?.child.exitCode === null) {
      const exited = new Promise((r) => reserveSeat.child.once('exit', r));
      reserveSeat.child.kill('SIGKILL');
      await exited;
    }
    broker.closeAllConnections();
    await new Promise((r) => broker.close(r));
    await legacy?.stop();
    await Promise.all([postgres?.stop(), redis?.stop()]);
  }, 60_000);

  it('says it is reconnecting while the API answers 503, then catches up by itself with the payment approved meanwhile', async () => {
    // A buyer inside the zone (admitted by the waiting room's token), with a seat held and paid for.
    const showId = await addTestShow(postgres.url, { seats: 20 });
    const [keyId, key] = Object.entries(JSON.parse(TEST_SIGNING_KEYS) as Record<string, string>)[0];
    const session = 'order-outage-session-0000000001';
    const now = Math.floor(Date.now() / 1000);
    const access = new TokenSigner({ [keyId]: key }).sign({
      typ: 'access',
      show: showId,
      vid: 1,
      place: 1,
      ses: sessionHash(session),
      iat: now,
      exp: now + 300,
    });
    const entered = await fetch(`${reserveSeat.url}/checkout/${showId}?access=${access}`, {
      headers: { 'x-session-id': session },
    });
    expect(entered.status).toBe(200);
    const headers = { authorization: `Bearer ${(await entered.json()).zoneToken}`, 'x-session-id': session };
    const held = await fetch(`${reserveSeat.url}/checkout/api/shows/${showId}/orders`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ seats: [{ seat: 'A1', ticketType: 'full' }] }),
    });
    expect(held.status).toBe(201);
    const order = await held.json();
    const paying = await fetch(`${reserveSeat.url}/checkout/api/orders/${order.orderId}/payment`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ paymentToken: 'tok_visa' }),
    });
    expect(paying.status).toBe(202);

    // The order page, in the buyer's browser (their session and zone pass on every request).
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
      locale: 'pt-BR',
      extraHTTPHeaders: headers,
    });
    const page = await context.newPage();
    try {
      await page.goto(`${reserveSeat.url}/checkout/orders/${order.orderId}`);
      await page.waitForSelector('#state[data-state="awaiting_payment"]');
      expect(await page.isHidden('#reconnecting')).toBe(true);

      // The database gone: the polls answered 503; said calmly, what the page showed stays.
      await postgres.kill();
      await page.waitForSelector('#reconnecting:not([hidden])', { timeout: 20_000 });
      expect(await page.textContent('#reconnecting')).toMatch(/Reconectando/);
      expect(await page.textContent('#error')).toBe('');
      expect(await page.getAttribute('#state', 'data-state')).toBe('awaiting_payment');
      expect(await accessibilityProblems(page)).toEqual([]);
      await page.screenshot({ path: path.join(ARTIFACTS, 'pt-BR-phone-order-database-gone.png'), fullPage: true });

      // Back; the payment approved meanwhile (as process-payment would announce it): the page shows it by itself.
      await postgres.restart();
      await eventually(async () => (await fetch(`${reserveSeat.url}/readyz`)).ok, 30_000, 200);
      await eventually(
        async () => {
          const res = await fetch(`${reserveSeat.url}/events`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'ce-specversion': '1.0',
              'ce-id': randomUUID(),
              'ce-source': '/premiere/process-payment',
              'ce-type': 'premiere.payment.approved',
              'ce-subject': order.orderId,
              authorization: eventAuthorization('reserve-seat'),
            },
            body: JSON.stringify({
              orderId: order.orderId,
              paymentId: `${order.orderId}:1`,
              attempt: 1,
              amountCents: order.totalCents,
              currency: order.currency,
              providerPaymentId: null,
            }),
          });
          return res.ok;
        },
        20_000,
        500,
      );
      await page.waitForSelector('#state[data-state="confirmed"]', { timeout: 30_000 });
      expect(await page.isHidden('#reconnecting')).toBe(true);
      expect(await page.locator('#tickets a').count()).toBe(1);
      expect(await page.textContent('#error')).toBe('');
      await page.screenshot({ path: path.join(ARTIFACTS, 'pt-BR-phone-order-database-back.png'), fullPage: true });
    } catch (err) {
      await page
        .screenshot({ path: path.join(ARTIFACTS, 'pt-BR-phone-order-database-failed.png'), fullPage: true })
        .catch(() => undefined);
      throw err;
    } finally {
      await context.close();
    }
  }, 120_000);
});
