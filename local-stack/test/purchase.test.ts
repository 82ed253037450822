import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import type { Browser } from 'playwright-core';
import { canRunBrowser, launchBrowser } from '@premiere/runtime/testing/browser';
import { eventually } from '@premiere/runtime/testing';
import { freePort } from '../src/backing';
import { startStack, whenUp } from './run-stack';

/**
 * The whole purchase, end to end, through the local stack (`npm start`): the edge, the broker
 * routing as the chart's Triggers do, every function in its own process, the legacy cinema and
 * payment provider simulators. Once through the API as an app would, once in a real browser.
 */
const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts/purchase');
const PREMIERE = 'last-starfall-premiere';

let stack: ReturnType<typeof startStack>;
let stateDir: string;
let edge: string;
let provider: string;

beforeAll(async () => {
  stateDir = mkdtempSync(path.join(os.tmpdir(), 'premiere-purchase-'));
  stack = startStack(stateDir, await freePort());
  const state = await whenUp(stack);
  edge = state.edge;
  provider = state.simulators['payment-provider'];
}, 120_000);
afterAll(async () => {
  stack.child.kill('SIGINT');
  await stack.exited;
  rmSync(stateDir, { recursive: true, force: true });
}, 30_000);

let sessions = 0;

/** A visitor who joins the waiting room, waits their turn and enters seat selection. */
async function admittedBuyer() {
  const session = `purchase-session-${String(++sessions).padStart(6, '0')}`;
  const joined = await (await fetch(`${edge}/waiting-room/api/shows/${PREMIERE}/join`, { method: 'POST', headers: { 'x-session-id': session } })).json();
  expect(joined.token).toBeTruthy();
  const status = await eventually(async () => {
    const s = await (await fetch(`${edge}/waiting-room/api/shows/${PREMIERE}/status`, { headers: { authorization: `Bearer ${joined.token}`, 'x-session-id': session } })).json();
    return s.state === 'admitted' ? s : null;
  }, 20_000, 300);
  const zone = await (await fetch(`${edge}${status.enterUrl}`, { headers: { 'x-session-id': session } })).json();
  const headers = { authorization: `Bearer ${zone.zoneToken}`, 'x-session-id': session, 'content-type': 'application/json' };
  return { headers, zone };
}

async function freeSeats(buyer: Awaited<ReturnType<typeof admittedBuyer>>, n: number): Promise<string[]> {
  const map = await (await fetch(`${edge}${buyer.zone.seatMap}`, { headers: buyer.headers })).json();
  return map.rows.flatMap((r: { seats: { seat: string; status: string }[] }) => r.seats).filter((s: { status: string }) => s.status === 'free').slice(0, n).map((s: { seat: string }) => s.seat);
}

async function payAndWait(buyer: Awaited<ReturnType<typeof admittedBuyer>>, orderId: string, paymentToken: string, until: (order: { state: string; rejectionReason: string | null }) => boolean) {
  const paying = await fetch(`${edge}/checkout/api/orders/${orderId}/payment`, { method: 'POST', headers: buyer.headers, body: JSON.stringify({ paymentToken }) });
  expect(paying.status).toBe(202);
  return eventually(async () => {
    const order = await (await fetch(`${edge}/checkout/api/orders/${orderId}`, { headers: buyer.headers })).json();
    return until(order) ? order : null;
  }, 30_000, 300);
}

describe('a purchase through the local stack', () => {
  it('joins, is admitted, holds seats, pays and gets the tickets; a declined card, then a good one', async () => {
    const before = await (await fetch(`${provider}/stats`)).json();

    const buyer = await admittedBuyer();
    const seats = await freeSeats(buyer, 2);
    const held = await fetch(`${edge}${buyer.zone.orders}`, { method: 'POST', headers: buyer.headers, body: JSON.stringify({ seats: seats.map((seat) => ({ seat, ticketType: 'full' })), extras: [{ extraId: 'paulista-popcorn', quantity: 1 }] }) });
    expect(held.status).toBe(201);
    const order = await held.json();
    const confirmed = await payAndWait(buyer, order.orderId, 'tok_visa', (o) => o.state === 'confirmed');
    expect(confirmed.tickets.map((t: { seat: string }) => t.seat)).toEqual([...seats].sort());
    const ticket = await fetch(`${edge}${confirmed.tickets[0].url}`);
    expect(ticket.status).toBe(200);
    expect(await ticket.text()).toContain(confirmed.tickets[0].code);

    // A declined card: back to pending payment with the reason; a good card then confirms.
    const second = await admittedBuyer();
    const more = await freeSeats(second, 1);
    const order2 = await (await fetch(`${edge}${second.zone.orders}`, { method: 'POST', headers: second.headers, body: JSON.stringify({ seats: [{ seat: more[0], ticketType: 'half' }] }) })).json();
    const declined = await payAndWait(second, order2.orderId, 'tok_decline', (o) => o.state === 'pending_payment' && o.rejectionReason !== null);
    expect(declined.rejectionReason).toBe('declined');
    const paid = await payAndWait(second, order2.orderId, 'tok_visa', (o) => o.state === 'confirmed');
    expect(paid.tickets).toHaveLength(1);

    const after = await (await fetch(`${provider}/stats`)).json();
    expect({ charges: after.charges - before.charges, declines: after.declines - before.declines }).toEqual({ charges: 2, declines: 1 });
  }, 120_000);
});

// A real browser, as CI runs it (.ci/run installs Debian's chromium); elsewhere it needs CHROMIUM_PATH.
const browserTest = canRunBrowser ? describe : describe.skip;
browserTest('the same purchase in a real browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser(ARTIFACTS);
  });
  afterAll(async () => {
    await browser?.close();
  });

  // The browser's language picks the pages' (Accept-Language); its clock is in Tokyo, so a time
  // shown in the browser's zone rather than the cinema's (São Paulo) would show.
  const LANGUAGES = {
    'pt-BR': { confirmed: 'Confirmado', heldUntil: /^Assentos reservados até (\d\d:\d\d)$/, switchTo: 'en', insufficient: /saldo insuficiente/, notYours: /não foi encontrado neste navegador/ },
    en: { confirmed: 'Confirmed', heldUntil: /^Seats held until (\d\d:\d\d\s[AP]M)$/, switchTo: 'pt-BR', insufficient: /not enough funds/, notYours: /not found in this browser/ },
  } as const;
  it.each(Object.keys(LANGUAGES) as (keyof typeof LANGUAGES)[])('clicks through the catalog, the waiting room, the seat map, checkout and the ticket page in %s, with a screenshot of each step', async (locale) => {
    const words = LANGUAGES[locale];
    const page = await browser.newPage({ viewport: { width: 420, height: 900 }, locale, timezoneId: 'Asia/Tokyo' });
    const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${locale}-${name}.png`), fullPage: true });
    const lang = () => page.getAttribute('html', 'lang');
    try {
      await page.goto(`${edge}/`);
      expect(await lang()).toBe(locale);
      expect((await page.request.get(`${edge}/favicon.ico`)).status()).toBe(200);
      await shot('1-catalog');
      await page.click('a[href="/movies/last-starfall"]');
      await page.waitForURL('**/movies/last-starfall');
      await shot('2-movie');
      await page.click(`a[href="/waiting-room/${PREMIERE}"]`);
      // The waiting room joins, polls and moves on to seat selection when admitted.
      await page.waitForURL(`**/checkout/${PREMIERE}?access=*`, { timeout: 30_000 });
      await page.waitForSelector('.seat.free');
      expect(await lang()).toBe(locale);
      await shot('3-seat-map');
      const free = page.locator('.seat.free');
      await free.nth(0).click();
      await free.nth(1).click();
      await page.click('#hold');
      await page.waitForURL('**/checkout/orders/*');
      await page.waitForSelector('#pay:not([hidden])');
      // The hold's end on the cinema's clock.
      const order = await page.evaluate(() => fetch(`/checkout/api/orders/${location.pathname.split('/').pop()}`).then((r) => r.json()));
      const held = words.heldUntil.exec((await page.textContent('#deadline')) ?? '');
      expect(held?.[1]).toBe(new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', timeZone: 'America/Sao_Paulo' }).format(new Date(order.holdExpiresAt)));
      await shot('4-checkout');
      // Opened in another browser (no session): said so in the visitor's language, nothing to pay.
      const stranger = await browser.newPage({ locale });
      await stranger.goto(page.url());
      await stranger.waitForFunction(() => document.getElementById('state')?.textContent !== '…');
      expect(await stranger.textContent('#state')).toMatch(words.notYours);
      expect(await stranger.isHidden('#pay')).toBe(true);
      await stranger.close();
      // A refused card: why, in the visitor's words (not the provider's English), then a good one.
      await page.fill('#token', 'tok_insufficient_funds');
      await page.click('#pay button');
      await page.waitForFunction(() => (document.getElementById('reason')?.textContent ?? '') !== '', undefined, { timeout: 30_000 });
      const refused = (await page.textContent('#reason')) ?? '';
      expect(refused).toMatch(words.insufficient);
      if (locale !== 'en') expect(refused).not.toMatch(/insufficient|declined/);
      await shot('4b-refused');
      await page.fill('#token', 'tok_visa');
      await page.click('#pay button');
      await page.waitForSelector('#state[data-state="confirmed"]', { timeout: 30_000 });
      expect(await page.textContent('#state')).toMatch(new RegExp(`^${words.confirmed}`));
      await shot('5-confirmed');
      await page.click('#tickets a');
      await page.waitForURL('**/checkout/tickets/*');
      const code = await page.textContent('.code');
      expect(code).toMatch(/^[2-9A-HJ-NP-Z]{10}$/);
      // The QR code the door scans says the same code.
      const qr = PNG.sync.read(await page.locator('.ticket .qr').screenshot());
      expect(jsQR(new Uint8ClampedArray(qr.data), qr.width, qr.height)?.data).toBe(code);
      expect(await page.textContent('h1')).toBe('The Last Starfall');
      await shot('6-ticket');
      // The switch: the same page in the other language, and it sticks.
      await page.click(`a[hreflang="${words.switchTo}"]`);
      await page.waitForURL('**/checkout/tickets/*');
      expect(await lang()).toBe(words.switchTo);
      await page.goto(`${edge}/`);
      expect(await lang()).toBe(words.switchTo);
    } catch (err) {
      await shot('failed').catch(() => undefined);
      throw err;
    } finally {
      await page.close();
    }
  }, 120_000);
});

// A hold that runs out while its page is open: a stack of its own, with the shortest hold.
browserTest('a hold that runs out while its page is open', () => {
  let browser: Browser;
  let short: ReturnType<typeof startStack>;
  let shortDir: string;
  let shortEdge: string;
  beforeAll(async () => {
    shortDir = mkdtempSync(path.join(os.tmpdir(), 'premiere-short-hold-'));
    short = startStack(shortDir, await freePort(), { HOLD_SECONDS: '10' });
    shortEdge = (await whenUp(short)).edge;
    browser = await launchBrowser(ARTIFACTS);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    short?.child.kill('SIGINT');
    await short?.exited;
    if (shortDir) rmSync(shortDir, { recursive: true, force: true });
  });

  it('counts down, then says so, takes the Pay button away and leads back to the waiting room in one tap', async () => {
    const page = await browser.newPage({ viewport: { width: 420, height: 900 }, locale: 'pt-BR' });
    try {
      await page.goto(`${shortEdge}/waiting-room/${PREMIERE}`);
      await page.waitForURL(`**/checkout/${PREMIERE}?access=*`, { timeout: 30_000 });
      await page.waitForSelector('.seat.free');
      await page.locator('.seat.free').nth(0).click();
      await page.click('#hold');
      await page.waitForURL('**/checkout/orders/*');
      await page.waitForSelector('#pay:not([hidden])');
      // A countdown, on the page's own clock: m:ss left, going down.
      const left = async () => Number(/(\d+):(\d\d)/.exec((await page.textContent('#countdown')) ?? '')?.slice(1).reduce((m, s) => String(Number(m) * 60 + Number(s))) ?? NaN);
      const first = await left();
      expect(first).toBeGreaterThan(0);
      expect(first).toBeLessThanOrEqual(10);
      await eventually(async () => (await left()) < first, 5_000, 250);
      await page.screenshot({ path: path.join(ARTIFACTS, 'hold-1-counting.png'), fullPage: true });
      // Run out, without a reload: expired, nothing to pay, the way back at hand.
      await page.waitForSelector('#state[data-state="expired"]', { timeout: 30_000 });
      expect(await page.isHidden('#pay')).toBe(true);
      expect(await page.isHidden('#countdown')).toBe(true);
      await page.screenshot({ path: path.join(ARTIFACTS, 'hold-2-expired.png'), fullPage: true });
      await page.click('#again');
      await page.waitForURL(`**/waiting-room/${PREMIERE}`);
    } finally {
      await page.close();
    }
  }, 120_000);
});

// Keyboard only: no mouse, no touch; Tab moves, Enter and Space press. Every step must be reachable,
// keep its focus where the buyer is (a redrawn seat map must not throw it back to the top) and show it.
browserTest('the purchase by keyboard alone', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser(ARTIFACTS);
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('goes from the catalog to the ticket with Tab, Enter and Space only, the focus always visible', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, locale: 'pt-BR' });
    const focused = (selector: string) => page.evaluate((s) => !!document.activeElement?.matches(s), selector);
    /** Tab (forward only) until `selector` has the focus, as a buyer would; fails if it never comes. */
    async function tabTo(selector: string) {
      for (let presses = 0; presses < 120; presses++) {
        await page.keyboard.press('Tab');
        if (await focused(selector)) return;
      }
      throw new Error(`Tab never reached ${selector}`);
    }
    // Visible focus: an outline (or a ring drawn with box-shadow) on whatever has it.
    const focusShows = () =>
      page.evaluate(() => {
        const style = getComputedStyle(document.activeElement!);
        return (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none';
      });
    try {
      await page.goto(`${edge}/`);
      await tabTo('a[href="/movies/last-starfall"]');
      expect(await focusShows()).toBe(true);
      await page.keyboard.press('Enter');
      await page.waitForURL('**/movies/last-starfall');
      await tabTo(`a[href="/waiting-room/${PREMIERE}"]`);
      await page.keyboard.press('Enter');
      await page.waitForURL(`**/checkout/${PREMIERE}?access=*`, { timeout: 30_000 });
      await page.waitForSelector('.seat.free');
      // Two seats: each pressed keeps the focus on itself, says it is chosen, and the next is a Tab away.
      for (let n = 0; n < 2; n++) {
        await tabTo('.seat.free:not(.chosen)');
        expect(await focusShows()).toBe(true);
        await page.keyboard.press(n === 0 ? 'Space' : 'Enter');
        expect(await focused('.seat.chosen')).toBe(true);
        expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-pressed'))).toBe('true');
      }
      await tabTo('#hold');
      await page.keyboard.press('Enter');
      await page.waitForURL('**/checkout/orders/*');
      await page.waitForSelector('#pay:not([hidden])');
      await tabTo('#token');
      await page.keyboard.press('Control+A');
      await page.keyboard.type('tok_visa');
      await page.keyboard.press('Enter');
      await page.waitForSelector('#state[data-state="confirmed"]', { timeout: 30_000 });
      await tabTo('#tickets a');
      await page.keyboard.press('Enter');
      await page.waitForURL('**/checkout/tickets/*');
      expect(await page.textContent('.code')).toMatch(/^[2-9A-HJ-NP-Z]{10}$/);
    } catch (err) {
      await page.screenshot({ path: path.join(ARTIFACTS, 'keyboard-failed.png'), fullPage: true }).catch(() => undefined);
      throw err;
    } finally {
      await page.close();
    }
  }, 120_000);
});
