import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { CloudEvent, HTTP } from 'cloudevents';
import type { Browser, Page } from 'playwright-core';
import { accessibilityProblems, canRunBrowser, launchBrowser } from '@premiere/testing/browser';
import { createFunction, type RunningFunction } from '@premiere/runtime';
import { LEGACY_USAGE_KEY } from '@premiere/contracts';
import {
  captureLogs,
  createTestDatabase,
  createTestRedisPrefix,
  eventAuthorization,
  eventTokenFile,
  eventually,
  testEnv,
  type TestDatabase,
  loadDemoCatalog,
  addTestShow,
  NO_JOIN_LIMITS,
  TEST_ADMIN_TOKEN,
  TEST_SIGNING_KEYS,
} from '@premiere/testing';
import { issueToken } from '@premiere/issue-token';
import { admitBatch } from '../src';
import { recordOrders } from './fixtures';

/**
 * The operators' page in a real browser, on a phone and a desktop: signing in (a wrong token, then
 * the right one), a show read by its title, cinema and time in the cinema's zone with its seats,
 * line and zone, pausing (confirmed in a dialog, cancellable, keyboard only) and resuming, and
 * axe-core finding no serious or critical violation. Screenshots land in test-artifacts/admin.
 */
const ARTIFACTS = path.resolve(__dirname, '../../../test-artifacts/admin');

let db: TestDatabase;
const redis = createTestRedisPrefix();
const running: RunningFunction[] = [];
let url: string;
let tokensUrl: string;
let showId: string;
const startsAt = new Date(Date.UTC(2026, 11, 24, 23, 30)); // 20:30 in São Paulo, 08:30 the next day in Tokyo

beforeAll(async () => {
  db = await createTestDatabase();
  await loadDemoCatalog(db.url);
  const env = (extra: Record<string, string> = {}) =>
    testEnv(db, redis.prefix, {
      TOKEN_SIGNING_KEYS: TEST_SIGNING_KEYS,
      ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      STATUS_SNAPSHOT_MS: '0',
      ...NO_JOIN_LIMITS,
      ...extra,
    });
  const bouncer = createFunction(admitBatch, env(), captureLogs().stream);
  running.push(bouncer);
  await bouncer.start();
  url = `http://127.0.0.1:${bouncer.server.info.port}`;
  const tokens = createFunction(
    issueToken,
    env({ K_SINK: `${url}/events`, EVENT_SINK_TOKEN_FILE: eventTokenFile('admit-batch') }),
    captureLogs().stream,
  );
  running.push(tokens);
  await tokens.start();

  // A show at Cine Copacabana whose zone takes 2: 5 visitors join, 2 get in, 3 wait.
  showId = await addTestShow(db.url, { seats: 40, startsAt, zoneCapacity: 2 });
  tokensUrl = `http://127.0.0.1:${tokens.server.info.port}`;
  for (let i = 0; i < 5; i++) {
    const res = await fetch(`${tokensUrl}/waiting-room/api/shows/${showId}/join`, {
      method: 'POST',
      headers: { 'x-session-id': `admin-page-session-${process.pid}-${i}-abcdef` },
    });
    expect(res.status).toBe(201);
  }
  await recordOrders(db.url, showId, { sold: ['A1', 'A2', 'A3', 'A4', 'A5', 'A6'], held: ['A7', 'A8'] });
  await bouncer.ctx.redis.hset(LEGACY_USAGE_KEY, 'limit', 10, 'busyMs', 0, 'calls', 0);
  await eventually(async () => (await state()).inside === 2, 10_000);
}, 60_000);
afterAll(async () => {
  await Promise.all(running.map((f) => f.stop()));
  await db.drop();
  await redis.clean();
});

async function state(show = showId) {
  return (
    await fetch(`${url}/admin/api/shows/${show}`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })
  ).json();
}

let joined = 0;
async function join(show: string): Promise<number> {
  const res = await fetch(`${tokensUrl}/waiting-room/api/shows/${show}/join`, {
    method: 'POST',
    headers: { 'x-session-id': `admin-chart-session-${process.pid}-${++joined}-abcdef` },
  });
  expect(res.status).toBe(201);
  return (await res.json()).visitor;
}
/** A visitor bought: reserve-seat's event, as the broker delivers it to admit-batch (the next one is admitted). */
let events = 0;
async function bought(show: string, visitor: number) {
  const m = HTTP.binary(
    new CloudEvent({
      id: `admin-page-${process.pid}-${++events}`,
      type: 'premiere.order.confirmed',
      source: '/premiere/test',
      data: { showId: show, visitor, orderId: randomUUID(), tickets: [] },
    }),
  );
  const res = await fetch(`${url}/events`, {
    method: 'POST',
    headers: { ...(m.headers as Record<string, string>), authorization: eventAuthorization('admit-batch') },
    body: m.body as string,
  });
  expect(res.status).toBe(204);
}

const browserTest = canRunBrowser ? describe : describe.skip;
browserTest('the operators’ page in a real browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser(ARTIFACTS);
  });
  afterAll(async () => {
    await browser?.close();
  });

  // The legacy system kept busy meanwhile, as reserve-seat's bulkhead counts it: 6 s of calls every second over 10 slots (60 %).
  let traffic: NodeJS.Timeout;
  beforeAll(() => {
    traffic = setInterval(
      () => void running[0].ctx.redis.hincrby(LEGACY_USAGE_KEY, 'busyMs', 6_000).catch(() => undefined),
      1_000,
    );
  });
  afterAll(() => clearInterval(traffic));

  const viewports = { phone: { width: 390, height: 844 }, desktop: { width: 1280, height: 900 } };
  /** A show of its own (30 seats, a zone of 2: `hours` after the others) with a visitor in its line. */
  async function showWithALine(hours: number): Promise<string> {
    const show = await addTestShow(db.url, {
      seats: 30,
      startsAt: new Date(startsAt.getTime() + hours * 3_600_000),
      zoneCapacity: 2,
    });
    await join(show);
    return show;
  }
  /** Signs in (the token typed, then Enter) and waits for the show's card. */
  async function signIn(page: Page, show: string) {
    await page.goto(`${url}/admin`);
    await page.getByLabel('Token de operador').fill(TEST_ADMIN_TOKEN);
    await page.getByLabel('Token de operador').press('Enter');
    const card = page.locator(`[data-show="${show}"]`);
    await card.waitFor();
    return card;
  }
  it.each(Object.entries(viewports))(
    'on a %s: signs in, reads the show, pauses with a confirmation and resumes, signs out',
    async (device, viewport) => {
      // The browser in another zone than the cinema's: times must still read as the cinema's.
      const context = await browser.newContext({ viewport, timezoneId: 'Asia/Tokyo', locale: 'en-US' });
      const page = await context.newPage();
      const prompts: string[] = [];
      page.on('dialog', (d) => {
        prompts.push(d.type());
        void d.dismiss();
      });
      const shot = (name: string) =>
        page.screenshot({ path: path.join(ARTIFACTS, `${device}-${name}.png`), fullPage: true });
      try {
        await page.goto(`${url}/admin`);
        const token = page.getByLabel('Token de operador');
        await token.waitFor();
        expect(await token.getAttribute('type')).toBe('password');
        expect(await accessibilityProblems(page)).toEqual([]);
        await shot('1-sign-in');

        // A wrong token: said so, the form stays.
        await token.fill('not-the-admin-token-at-all');
        await page.getByRole('button', { name: 'Entrar' }).click();
        await page.getByRole('alert').filter({ hasText: 'Token inválido' }).waitFor();
        await shot('2-wrong-token');

        await token.fill(TEST_ADMIN_TOKEN);
        await token.press('Enter');
        const card = page.locator(`[data-show="${showId}"]`);
        await card.waitFor();
        expect(page.url()).toBe(`${url}/admin`); // never in the URL
        expect(await page.evaluate(() => Object.keys(sessionStorage))).toEqual(['premiere-admin']);

        // The show by its title, cinema and time in the cinema's zone (São Paulo's, not Tokyo's).
        await expect(card.getByRole('heading', { level: 3 }).textContent()).resolves.toBe('The Last Starfall');
        const text = (await card.textContent())!;
        expect(text).toContain('Test cinema');
        expect(text).toContain('Test room');
        expect(text).toContain('24 de dez.');
        expect(text).toContain('20:30');
        // Seats sold, held and free; the line and the zone.
        expect(await card.locator('[data-figure="sold"]').textContent()).toBe('6');
        expect(await card.locator('[data-figure="held"]').textContent()).toBe('2');
        expect(await card.locator('[data-figure="free"]').textContent()).toBe('32');
        expect(await card.locator('[data-figure="waiting"]').textContent()).toBe('3');
        // The wait the back of the line is told (its own poll's estimate), not the pace times the line.
        expect(await card.locator('[data-figure="waiting-sub"]').textContent()).toMatch(
          /^pessoas · o último espera (menos de 1 min|cerca de \d+ min)$/,
        );
        expect(await card.locator('[data-figure="inside"]').textContent()).toBe('2 / 2');
        // The live charts: a line of the last minutes for each figure, and the legacy system's.
        // (two polls make a line: 5 s apart)
        const lines = () =>
          page.$$eval(
            'svg.spark polyline',
            (all) => all.filter((p) => (p as SVGPolylineElement).points.numberOfItems >= 2).length,
          );
        await eventually(async () => (await lines()) === 4, 20_000, 500);
        expect(await accessibilityProblems(page)).toEqual([]);
        // Nothing wider than the screen (a phone scrolls down, never sideways).
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(viewport.width);
        await shot('3-signed-in');

        // Pause: asks first; cancelling does nothing.
        const pause = card.getByRole('button', { name: 'Pausar admissões' });
        await pause.click();
        const dialog = page.getByRole('dialog');
        await dialog.waitFor();
        expect(await dialog.textContent()).toContain('The Last Starfall');
        expect(await accessibilityProblems(page)).toEqual([]);
        await shot('4-confirm-pause');
        await dialog.getByRole('button', { name: 'Cancelar' }).click();
        await dialog.waitFor({ state: 'hidden' });
        expect((await state()).paused).toBe(false);

        // Keyboard only: the button focused, Enter asks, Enter on the confirming button pauses.
        await pause.focus();
        await page.keyboard.press('Enter');
        await dialog.waitFor();
        await dialog.getByRole('button', { name: 'Pausar admissões' }).focus();
        await page.keyboard.press('Enter');
        await card.getByRole('status').filter({ hasText: 'Admissões pausadas' }).waitFor();
        expect((await state()).paused).toBe(true);
        await card.getByText('Pausada', { exact: true }).waitFor();
        expect(await card.locator('[data-figure="waiting-sub"]').textContent()).toBe(
          'pessoas · espera parada: admissões pausadas',
        );
        await shot('5-paused');

        // Resuming is safe: no question asked.
        await card.getByRole('button', { name: 'Retomar admissões' }).click();
        await card.getByRole('status').filter({ hasText: 'Admissões retomadas' }).waitFor();
        expect((await state()).paused).toBe(false);

        // Closing the line asks too; reopening it does not.
        await card.getByRole('button', { name: 'Fechar a fila' }).click();
        await dialog.waitFor();
        expect((await state()).draining).toBe(false);
        await dialog.getByRole('button', { name: 'Fechar a fila' }).click();
        await card.getByRole('status').filter({ hasText: 'Fila fechada' }).waitFor();
        expect((await state()).draining).toBe(true);
        await card.getByRole('button', { name: 'Reabrir a fila' }).click();
        await card.getByRole('status').filter({ hasText: 'Fila reaberta' }).waitFor();
        expect((await state()).draining).toBe(false);

        // Settings, in a dialog of labelled fields: a refusal is shown as an error, a change as done.
        await card.getByRole('button', { name: 'Ajustes…' }).click();
        const settings = page.getByRole('dialog', { name: 'Ajustes' });
        await settings.getByLabel('O porteiro ajusta a capacidade').check();
        await settings.getByRole('button', { name: 'Salvar' }).click();
        const refused = card.locator('.result.error');
        await refused.waitFor();
        expect(await refused.textContent()).toContain('ZONE_CAPACITY_ADAPTIVE');
        await card.getByRole('button', { name: 'Ajustes…' }).click();
        const overbooking = (await state()).overbooking === 0.2 ? 25 : 20; // a change on either device
        await settings.getByLabel('Overbooking (%)').fill(String(overbooking));
        expect(await accessibilityProblems(page)).toEqual([]);
        await shot('7-settings');
        await settings.getByRole('button', { name: 'Salvar' }).click();
        await card
          .locator('.result.ok')
          .filter({ hasText: `overbooking ${overbooking}%` })
          .waitFor();
        expect((await state()).quota).toBe(40 + (40 * overbooking) / 100);

        // Signing out forgets the token.
        await page.getByRole('button', { name: 'Sair' }).click();
        await token.waitFor();
        expect(await page.evaluate(() => Object.keys(sessionStorage))).toEqual([]);
        expect(prompts).toEqual([]); // no prompt(), confirm() or alert()
      } catch (err) {
        await shot('failed').catch(() => undefined);
        throw err;
      } finally {
        await context.close();
      }
    },
    90_000,
  );

  it('charts the last minutes: the line, the zone, admissions and the legacy system’s use (four minutes in fast motion)', async () => {
    // A busier show: a zone of 3, people joining and buying, the legacy system's load rising and falling.
    const busy = await addTestShow(db.url, {
      seats: 80,
      startsAt: new Date(startsAt.getTime() + 3 * 3_600_000),
      zoneCapacity: 3,
    });
    const line: number[] = [];
    for (let i = 0; i < 6; i++) line.push(await join(busy));
    const inside = line.splice(0, 3);
    for (const [device, viewport] of Object.entries(viewports)) {
      const context = await browser.newContext({ viewport, timezoneId: 'America/Sao_Paulo' });
      const page = await context.newPage();
      // The page's timers and clock run fast: a poll every 5 s of page time, the servers real.
      await page.clock.install();
      try {
        await page.goto(`${url}/admin`);
        await page.getByLabel('Token de operador').fill(TEST_ADMIN_TOKEN);
        await page.getByRole('button', { name: 'Entrar' }).click();
        const card = page.locator(`[data-show="${busy}"]`);
        await card.waitFor();
        for (let step = 0; step < 48; step++) {
          // The legacy system's busy time over these 5 s: between 35 % and 95 % of its 10 slots.
          await running[0].ctx.redis.hincrby(
            LEGACY_USAGE_KEY,
            'busyMs',
            Math.round(10 * 5_000 * (0.65 + 0.3 * Math.sin(step / 6))),
          );
          if (step % 2 === 0) line.push(await join(busy));
          if (step % 3 === 1 && inside.length) {
            await bought(busy, inside.shift()!);
            inside.push(line.shift()!);
          }
          const before = await page.textContent('#updated');
          await page.clock.runFor(5_000);
          await page.waitForFunction((text) => document.getElementById('updated')!.textContent !== text, before);
        }
        const points = await card
          .locator('svg.spark polyline')
          .evaluateAll((all) => all.map((p) => (p as SVGPolylineElement).points.numberOfItems));
        expect(points.every((n) => n >= 40)).toBe(true);
        const label = await card.locator('svg.spark').first().getAttribute('aria-label');
        expect(label).toMatch(/^Na fila nos últimos 4 min: de \d+ a \d+, agora \d+$/);
        expect(await accessibilityProblems(page)).toEqual([]);
        await page.screenshot({ path: path.join(ARTIFACTS, `${device}-6-charts.png`), fullPage: true });
      } finally {
        await context.close();
      }
    }
  }, 120_000);

  it('by keyboard alone, on a phone and a desktop: signs in, pauses (Escape cancels, Space or Enter confirms), resumes, closes the line and reopens it', async () => {
    const show = await addTestShow(db.url, {
      seats: 30,
      startsAt: new Date(startsAt.getTime() + 6 * 3_600_000),
      zoneCapacity: 2,
    });
    for (let i = 0; i < 3; i++) await join(show);
    const showState = () => state(show);
    for (const [device, viewport] of Object.entries(viewports)) {
      const context = await browser.newContext({
        viewport,
        timezoneId: 'Asia/Tokyo',
        ...(device === 'phone' ? { isMobile: true, hasTouch: true } : {}),
      });
      const page = await context.newPage();
      const shot = (name: string) =>
        page.screenshot({ path: path.join(ARTIFACTS, `${device}-keyboard-${name}.png`), fullPage: true });
      /** What has the focus: its id, or a button's text and its show. */
      const focused = () =>
        page.evaluate(() => {
          const e = document.activeElement as HTMLElement | null;
          return {
            id: e?.id ?? '',
            text: (e?.textContent ?? '').trim(),
            show: e?.closest('[data-show]')?.getAttribute('data-show') ?? null,
            inDialog: !!e?.closest('dialog'),
          };
        });
      /** Tab (forwards) until the focus is where `wanted` says: a keyboard user's way there. */
      const tabTo = async (wanted: (f: Awaited<ReturnType<typeof focused>>) => boolean, what: string) => {
        for (let n = 0; n < 80; n++) {
          if (wanted(await focused())) return;
          await page.keyboard.press('Tab');
        }
        throw new Error(`Tab never reached ${what}; the focus is on ${JSON.stringify(await focused())}`);
      };
      const button = (text: string) => (f: Awaited<ReturnType<typeof focused>>) =>
        f.show === show && f.text === text && !f.inDialog;
      const dialog = page.getByRole('dialog');
      try {
        await page.goto(`${url}/admin`);
        await tabTo((f) => f.id === 'token', 'the token field');
        expect(await accessibilityProblems(page)).toEqual([]);
        await page.keyboard.type(TEST_ADMIN_TOKEN);
        await page.keyboard.press('Enter');
        await page.locator(`[data-show="${show}"]`).waitFor();
        expect((await focused()).id).toBe('rooms-title'); // where a screen reader learns it is signed in
        expect(await accessibilityProblems(page)).toEqual([]);
        await shot('1-signed-in');

        // Pause: Enter asks, Escape cancels (nothing changes, the focus back on the button).
        await tabTo(button('Pausar admissões'), 'Pausar admissões');
        await page.keyboard.press('Enter');
        await dialog.waitFor();
        expect((await focused()).text).toBe('Cancelar'); // the safe answer first
        expect(await accessibilityProblems(page)).toEqual([]);
        await shot('2-confirm-pause');
        await page.keyboard.press('Escape');
        await dialog.waitFor({ state: 'hidden' });
        expect((await showState()).paused).toBe(false);
        expect(button('Pausar admissões')(await focused())).toBe(true);

        // Space asks again; Tab to the confirming button, Space pauses; the focus lands on Resume.
        await page.keyboard.press('Space');
        await dialog.waitFor();
        await page.keyboard.press('Tab');
        expect((await focused()).text).toBe('Pausar admissões');
        await page.keyboard.press('Space');
        await dialog.waitFor({ state: 'hidden' });
        await eventually(async () => (await showState()).paused === true, 5_000);
        await eventually(async () => button('Retomar admissões')(await focused()), 5_000);
        await shot('3-paused');
        await page.keyboard.press('Enter');
        await eventually(async () => (await showState()).paused === false, 5_000);
        await eventually(async () => button('Pausar admissões')(await focused()), 5_000);

        // Close the line: Enter asks, Tab and Enter confirm; the focus lands on Reopen, Enter reopens.
        await tabTo(button('Fechar a fila'), 'Fechar a fila');
        await page.keyboard.press('Enter');
        await dialog.waitFor();
        await page.keyboard.press('Tab');
        expect((await focused()).text).toBe('Fechar a fila');
        await page.keyboard.press('Enter');
        await eventually(async () => (await showState()).draining === true, 5_000);
        await eventually(async () => button('Reabrir a fila')(await focused()), 5_000);
        expect(await accessibilityProblems(page)).toEqual([]);
        await shot('4-drained');
        await page.keyboard.press('Enter');
        await eventually(async () => (await showState()).draining === false, 5_000);
        await eventually(async () => button('Fechar a fila')(await focused()), 5_000);
        await shot('5-reopened');
      } catch (err) {
        await shot('failed').catch(() => undefined);
        throw err;
      } finally {
        await context.close();
      }
    }
  }, 90_000);

  it('lists the dead letters, shows one, replays one and then every one of a type, and says when showing one fails', async () => {
    /** A dead letter as a Trigger's dispatcher sends it to admit-batch's sink: the event and Knative's extensions. */
    let letters = 0;
    const deadLetter = async (type: string, data: Record<string, unknown>, code: number, error: string) => {
      const id = `admin-page-letter-${process.pid}-${++letters}`;
      const dead = new CloudEvent(
        {
          id,
          type,
          source: '/premiere/reserve-seat',
          subject: showId,
          data,
          knativeerrordest: 'http://premiere-admit-batch.premiere.svc.cluster.local/events',
          knativeerrorcode: String(code),
          knativeerrordata: Buffer.from(error).toString('base64'),
        } as never,
        false,
      );
      const m = HTTP.binary(dead);
      const res = await fetch(`${url}/dead-letters`, {
        method: 'POST',
        headers: { ...(m.headers as Record<string, string>), authorization: eventAuthorization('admit-batch') },
        body: m.body as string,
      });
      expect(res.status).toBe(202);
      return id;
    };
    const stored = async () =>
      (
        await (
          await fetch(`${url}/admin/api/dead-letters?state=all&limit=200`, {
            headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
          })
        ).json()
      ).deadLetters as { id: number; eventId: string; open: boolean; replays: number }[];
    const letterOf = async (eventId: string) => (await stored()).find((l) => l.eventId === eventId)!;
    const expired = [
      await deadLetter('premiere.hold.expired', { showId, visitor: 7 }, 500, '{"error":"handler failed"}'),
      await deadLetter('premiere.hold.expired', { showId, visitor: 8 }, 500, '{"error":"handler failed"}'),
    ];
    const refund = await deadLetter(
      'premiere.refund.requested',
      { orderId: 'order-1', paymentId: 'order-1:1' },
      503,
      'the database is unavailable',
    );
    const refundLetter = (await letterOf(refund)).id;

    const context = await browser.newContext({ viewport: viewports.desktop, timezoneId: 'Asia/Tokyo' });
    const page = await context.newPage();
    const shot = (name: string) =>
      page.screenshot({ path: path.join(ARTIFACTS, `desktop-letters-${name}.png`), fullPage: true });
    const table = page.locator('#letters');
    try {
      await page.goto(`${url}/admin`);
      await page.getByLabel('Token de operador').fill(TEST_ADMIN_TOKEN);
      await page.getByLabel('Token de operador').press('Enter');
      // Every open letter, its type, destination and error; a button per type replays all of it.
      await table.getByRole('row').first().waitFor();
      const rows = await table.getByRole('row').allTextContents();
      expect(rows).toHaveLength(3);
      expect(rows.find((r) => r.includes('premiere.refund.requested'))).toMatch(/503 the database is unavailable/);
      await page.getByRole('button', { name: 'Reenviar todos os 2 de premiere.hold.expired' }).waitFor();
      await page.getByRole('button', { name: 'Reenviar o evento premiere.refund.requested' }).waitFor();
      expect(await accessibilityProblems(page)).toEqual([]);
      await shot('1-listed');

      // One letter in full: the event as it was sent, and why it failed.
      await page.getByRole('button', { name: `Ver o evento ${refundLetter}` }).click();
      await eventually(async () => (await page.locator('#letter').textContent())!.includes(refund), 5_000);
      const shown = JSON.parse((await page.locator('#letter').textContent())!);
      expect(shown).toMatchObject({
        id: refundLetter,
        error: 'the database is unavailable',
        event: { id: refund, type: 'premiere.refund.requested', data: { orderId: 'order-1' } },
      });
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('letter');

      // Showing one fails (the database away): said so, not nothing.
      await page.route(`**/admin/api/dead-letters/${refundLetter}`, (route) =>
        route.fulfill({ status: 503, json: { message: 'the database (PostgreSQL) is unavailable for the moment' } }),
      );
      await page.getByRole('button', { name: `Ver o evento ${refundLetter}` }).click();
      await page.locator('#letters-result.error').filter({ hasText: 'PostgreSQL' }).waitFor({ timeout: 5_000 });
      await page.unroute(`**/admin/api/dead-letters/${refundLetter}`);

      // Replay one, by keyboard: it leaves the list, replayed once, and the focus is not lost with
      // its row (it goes to the section's heading, from where Tab leads to the letters left).
      await page.getByRole('button', { name: `Reenviar o evento ${refundLetter}` }).focus();
      await page.keyboard.press('Enter');
      await page
        .locator('#letters-result.ok')
        .filter({ hasText: `Evento ${refundLetter} reenviado` })
        .waitFor();
      await eventually(async () => (await table.getByRole('row').count()) === 2, 5_000);
      expect(await letterOf(refund)).toMatchObject({ open: false, replays: 1 });
      await eventually(() => page.evaluate(() => document.activeElement?.id === 'letters-title'), 5_000);

      // Replay every one of a type: asked first, then said how many went.
      await page.getByRole('button', { name: 'Reenviar todos os 2 de premiere.hold.expired' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.waitFor();
      expect(await accessibilityProblems(page)).toEqual([]);
      await shot('2-confirm-replay');
      await dialog.getByRole('button', { name: 'Reenviar todos' }).click();
      await page
        .locator('#letters-result.ok')
        .filter({ hasText: '2 eventos premiere.hold.expired reenviados' })
        .waitFor();
      await page.getByText('Nenhum: todo evento foi entregue.').waitFor();
      for (const id of expired) expect(await letterOf(id)).toMatchObject({ open: false, replays: 1 });
      await eventually(() => page.evaluate(() => document.activeElement?.id === 'letters-title'), 5_000);
      expect(await accessibilityProblems(page)).toEqual([]);
      await shot('3-replayed');
    } catch (err) {
      await shot('failed').catch(() => undefined);
      throw err;
    } finally {
      await context.close();
    }
  }, 60_000);

  it('keeps what an action did on the page when a refresh asked before it answers after it (the card does not flip back)', async () => {
    const show = await showWithALine(10);
    const context = await browser.newContext({ viewport: viewports.desktop });
    const page = await context.newPage();
    try {
      const card = await signIn(page, show);
      // The next refresh reads the shows now (not paused), and its answer is late: after the pause's.
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      let stale!: () => void;
      const staleAnswered = new Promise<void>((r) => (stale = r));
      let held = false;
      await page.route('**/admin/api/shows', async (route) => {
        if (held) return route.continue();
        held = true;
        const response = await route.fetch();
        await released;
        await route.fulfill({ response });
        stale();
      });
      await page.waitForRequest((r) => r.url().endsWith('/admin/api/shows'), { timeout: 10_000 });
      await card.getByRole('button', { name: 'Pausar admissões' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Pausar admissões' }).click();
      const resume = card.getByRole('button', { name: 'Retomar admissões' });
      await resume.waitFor();
      await eventually(() => resume.evaluate((b) => b === document.activeElement), 5_000);
      release();
      await staleAnswered;
      await page.waitForTimeout(300);
      expect(await resume.isVisible()).toBe(true);
      expect(await card.getByRole('button', { name: 'Pausar admissões' }).isVisible()).toBe(false);
      expect(await card.locator('.badge', { hasText: 'Pausada' }).count()).toBe(1);
      expect(await resume.evaluate((b) => b === document.activeElement)).toBe(true);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('takes the answer of the dialog on screen when it was opened again before the last one’s close event came (Escape, then Pause or Settings again at once)', async () => {
    const show = await showWithALine(11);
    const context = await browser.newContext({ viewport: viewports.desktop });
    const page = await context.newPage();
    try {
      const card = await signIn(page, show);
      // A dialog's close event comes in a later task (a loaded browser may run input first): here
      // the question is dismissed and asked again in one go, so the first close event comes second.
      await card.getByRole('button', { name: 'Pausar admissões' }).evaluate((pause) => {
        (pause as HTMLButtonElement).click();
        (document.getElementById('confirm') as HTMLDialogElement).requestClose();
        (pause as HTMLButtonElement).click();
      });
      const dialog = page.getByRole('dialog');
      await page.waitForTimeout(100); // the first close event has come
      expect(await dialog.isVisible()).toBe(true);
      await dialog.getByRole('button', { name: 'Pausar admissões' }).click();
      await card.getByRole('button', { name: 'Retomar admissões' }).waitFor({ timeout: 5_000 });
      expect((await state(show)).paused).toBe(true);

      // The settings likewise: dismissed and opened again at once, what is saved is saved.
      await card.getByRole('button', { name: 'Ajustes…' }).evaluate((open) => {
        (open as HTMLButtonElement).click();
        (document.getElementById('settings') as HTMLDialogElement).requestClose();
        (open as HTMLButtonElement).click();
      });
      const settings = page.getByRole('dialog', { name: 'Ajustes' });
      await page.waitForTimeout(100);
      expect(await settings.isVisible()).toBe(true);
      await settings.getByLabel('Overbooking (%)').fill('30');
      await settings.getByRole('button', { name: 'Salvar' }).click();
      await card.locator('.result.ok').filter({ hasText: 'overbooking 30%' }).waitFor({ timeout: 5_000 });
      expect((await state(show)).overbooking).toBe(0.3);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('gives the focus back to the button pressed when its action fails (the buttons were disabled meanwhile)', async () => {
    const show = await showWithALine(9);
    const context = await browser.newContext({ viewport: viewports.desktop, timezoneId: 'Asia/Tokyo' });
    const page = await context.newPage();
    try {
      // The bouncer refuses, as one whose Redis is down would.
      await page.route(`**/admin/api/shows/${show}/pause`, (route) =>
        route.fulfill({ status: 503, json: { message: 'Redis is unavailable' } }),
      );
      const card = await signIn(page, show);
      const pause = card.getByRole('button', { name: 'Pausar admissões' });
      await pause.focus();
      await page.keyboard.press('Enter');
      const dialog = page.getByRole('dialog');
      await dialog.getByRole('button', { name: 'Pausar admissões' }).focus();
      await page.keyboard.press('Enter');
      await card.locator('.result.error').filter({ hasText: 'Redis is unavailable' }).waitFor();
      // Enter again tries again, where the keyboard left off.
      await eventually(() => pause.evaluate((b) => b === document.activeElement), 5_000);
      expect(await accessibilityProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);
});
