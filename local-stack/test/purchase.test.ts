import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import type { Browser, Page } from 'playwright-core';
import { accessibilityProblems, canRunBrowser, launchBrowser } from '@premiere/testing/browser';
import { eventually } from '@premiere/testing';
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
  // tok_timeout's payment is approved after 12 s (process-payment waiting that long for the answer,
  // not retrying it at its 5 s default): time to check the awaiting state even on a loaded CI.
  stack = startStack(stateDir, await freePort(), { PAYMENT_HANG_MS: '12000', PAYMENT_TIMEOUT_MS: '20000' });
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
  const joined = await (
    await fetch(`${edge}/waiting-room/api/shows/${PREMIERE}/join`, {
      method: 'POST',
      headers: { 'x-session-id': session },
    })
  ).json();
  expect(joined.token).toBeTruthy();
  const status = await eventually(
    async () => {
      const s = await (
        await fetch(`${edge}/waiting-room/api/shows/${PREMIERE}/status`, {
          headers: { authorization: `Bearer ${joined.token}`, 'x-session-id': session },
        })
      ).json();
      return s.state === 'admitted' ? s : null;
    },
    20_000,
    300,
  );
  const zone = await (await fetch(`${edge}${status.enterUrl}`, { headers: { 'x-session-id': session } })).json();
  const headers = {
    authorization: `Bearer ${zone.zoneToken}`,
    'x-session-id': session,
    'content-type': 'application/json',
  };
  return { headers, zone };
}

async function freeSeats(buyer: Awaited<ReturnType<typeof admittedBuyer>>, n: number): Promise<string[]> {
  const map = await (await fetch(`${edge}${buyer.zone.seatMap}`, { headers: buyer.headers })).json();
  return map.rows
    .flatMap((r: { seats: { seat: string; status: string }[] }) => r.seats)
    .filter((s: { status: string }) => s.status === 'free')
    .slice(0, n)
    .map((s: { seat: string }) => s.seat);
}

async function payAndWait(
  buyer: Awaited<ReturnType<typeof admittedBuyer>>,
  orderId: string,
  paymentToken: string,
  until: (order: { state: string; rejectionReason: string | null }) => boolean,
) {
  const paying = await fetch(`${edge}/checkout/api/orders/${orderId}/payment`, {
    method: 'POST',
    headers: buyer.headers,
    body: JSON.stringify({ paymentToken }),
  });
  expect(paying.status).toBe(202);
  return eventually(
    async () => {
      const order = await (await fetch(`${edge}/checkout/api/orders/${orderId}`, { headers: buyer.headers })).json();
      return until(order) ? order : null;
    },
    30_000,
    300,
  );
}

describe('a purchase through the local stack', () => {
  it('joins, is admitted, holds seats, pays and gets the tickets; a declined card, then a good one', async () => {
    const before = await (await fetch(`${provider}/stats`)).json();

    const buyer = await admittedBuyer();
    const seats = await freeSeats(buyer, 2);
    const held = await fetch(`${edge}${buyer.zone.orders}`, {
      method: 'POST',
      headers: buyer.headers,
      body: JSON.stringify({
        seats: seats.map((seat) => ({ seat, ticketType: 'full' })),
        extras: [{ extraId: 'paulista-popcorn', quantity: 1 }],
      }),
    });
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
    const order2 = await (
      await fetch(`${edge}${second.zone.orders}`, {
        method: 'POST',
        headers: second.headers,
        body: JSON.stringify({ seats: [{ seat: more[0], ticketType: 'half' }] }),
      })
    ).json();
    const declined = await payAndWait(
      second,
      order2.orderId,
      'tok_decline',
      (o) => o.state === 'pending_payment' && o.rejectionReason !== null,
    );
    expect(declined.rejectionReason).toBe('declined');
    const paid = await payAndWait(second, order2.orderId, 'tok_visa', (o) => o.state === 'confirmed');
    expect(paid.tickets).toHaveLength(1);

    const after = await (await fetch(`${provider}/stats`)).json();
    expect({ charges: after.charges - before.charges, declines: after.declines - before.declines }).toEqual({
      charges: 2,
      declines: 1,
    });
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
    'pt-BR': {
      confirmed: 'Confirmado',
      heldUntil: /^Assentos reservados até (\d\d:\d\d)$/,
      switchTo: 'en',
      insufficient: /saldo insuficiente/,
      notYours: /não foi encontrado neste navegador/,
      details: 'Cine Paulista, São Paulo · VIP',
      giveUp: 'Desistir dos assentos',
      keep: 'Continuar com o pedido',
      noConnection: /sem conexão/,
      awaiting: /Aguardando a confirmação/,
    },
    en: {
      confirmed: 'Confirmed',
      heldUntil: /^Seats held until (\d{1,2}:\d\d\s[AP]M)$/,
      switchTo: 'pt-BR',
      insufficient: /not enough funds/,
      notYours: /not found in this browser/,
      details: 'Cine Paulista, São Paulo · VIP',
      giveUp: 'Give up the seats',
      keep: 'Keep the order',
      noConnection: /no connection/,
      awaiting: /Waiting for the payment/,
    },
  } as const;
  // The hour as each language writes it: "09:00" in Portuguese, "9:00 PM" (no leading zero) in English.
  const HOUR = { 'pt-BR': '2-digit', en: 'numeric' } as const;
  // A phone (touch, 390 px wide) and a desktop.
  const DEVICES = {
    phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
    desktop: { viewport: { width: 1280, height: 800 } },
  } as const;
  const RUNS = [
    ['pt-BR', 'phone'],
    ['en', 'desktop'],
    ['pt-BR', 'desktop'],
    ['en', 'phone'],
  ] as const;

  /** The error the page shows: in the alert region, styled as an error (not plain text). */
  async function shownError(page: Page) {
    await page.waitForSelector('#error[role="alert"] .alert', { timeout: 30_000 });
    return page.evaluate(() => {
      const alert = document.querySelector('#error .alert') as HTMLElement;
      const style = getComputedStyle(alert);
      return { text: alert.textContent ?? '', background: style.backgroundColor, border: style.borderLeftColor };
    });
  }
  const ERROR_LOOK = { background: 'rgb(253, 236, 234)', border: 'rgb(179, 38, 30)' };

  it.each(RUNS)(
    'clicks through the catalog, the waiting room, the seat map, checkout and the ticket page in %s on a %s, with a screenshot of each step',
    async (locale, device) => {
      const words = LANGUAGES[locale];
      const page = await browser.newPage({ ...DEVICES[device], locale, timezoneId: 'Asia/Tokyo' });
      const shot = (name: string, on: Page = page) =>
        on.screenshot({ path: path.join(ARTIFACTS, `${locale}-${device}-${name}.png`), fullPage: true });
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
        // Before choosing: the show, its prices, the screen and a legend; then a total as the buyer chooses.
        await seatMapBeforeChoosing(page, locale);
        const free = page.locator('.seat.free');
        await free.nth(0).click();
        await free.nth(1).click();
        await totalWhenSwitchingToHalf(page, locale, device);
        await shot('3b-seats-chosen');
        await page.click('#hold');
        await page.waitForURL('**/checkout/orders/*');
        await page.waitForSelector('#pay:not([hidden])');
        // The show, as every page names it, with its start on the cinema's clock.
        const order = await page.evaluate(() =>
          fetch(`/checkout/api/orders/${location.pathname.split('/').pop()}`).then((r) => r.json()),
        );
        expect(await page.textContent('.show-title')).toBe('The Last Starfall');
        const starts = new Intl.DateTimeFormat(locale, {
          weekday: 'short',
          day: 'numeric',
          month: 'short',
          hour: HOUR[locale],
          minute: '2-digit',
          timeZone: 'America/Sao_Paulo',
        }).format(order.show.startsAt);
        expect(await page.textContent('.show-details')).toBe(`${words.details} · ${starts}`);
        // The order summed up: a line per seat with its type and price, and the total.
        expect(await page.locator('table.summary tbody tr').count()).toBe(2);
        expect(await page.textContent('#total')).toBe(
          new Intl.NumberFormat(locale, { style: 'currency', currency: 'BRL' }).format(order.totalCents / 100),
        );
        // The hold's end on the cinema's clock.
        const held = words.heldUntil.exec((await page.textContent('#deadline')) ?? '');
        expect(held?.[1]).toBe(
          new Intl.DateTimeFormat(locale, {
            hour: HOUR[locale],
            minute: '2-digit',
            timeZone: 'America/Sao_Paulo',
          }).format(new Date(order.holdExpiresAt)),
        );
        expect(await accessibilityProblems(page)).toEqual([]);
        await shot('4-checkout');
        // Opened in another browser (no session): said so in the visitor's language, nothing to pay.
        const stranger = await browser.newPage({ ...DEVICES[device], locale });
        await stranger.goto(page.url());
        await stranger.waitForFunction(() => document.getElementById('state')?.textContent !== '…');
        expect(await stranger.textContent('#state')).toMatch(words.notYours);
        expect(await stranger.locator('#pay').count()).toBe(0);
        expect(await accessibilityProblems(stranger)).toEqual([]);
        await shot('4-not-this-browser', stranger);
        await stranger.close();

        // Giving up asks first, in a dialog that has the focus; Esc, or keeping the order, keeps it.
        await page.click('#giveup');
        await page.waitForSelector('#confirm-giveup[open]');
        expect(await page.evaluate(() => document.activeElement?.closest('dialog')?.id)).toBe('confirm-giveup');
        expect(await page.textContent('#confirm-giveup button[value="giveup"]')).toBe(words.giveUp);
        expect(await page.textContent('#confirm-giveup button[value="keep"]')).toBe(words.keep);
        expect(await accessibilityProblems(page)).toEqual([]);
        await shot('4a-give-up-asked');
        await page.keyboard.press('Escape');
        await page.waitForSelector('#confirm-giveup:not([open])', { state: 'attached' });
        expect(await page.evaluate(() => document.activeElement?.id)).toBe('giveup');
        await page.click('#giveup');
        await page.click('#confirm-giveup button[value="keep"]');
        await page.waitForSelector('#confirm-giveup:not([open])', { state: 'attached' });
        expect(await page.evaluate(() => document.activeElement?.id)).toBe('giveup');
        expect(
          (await page.evaluate((id) => fetch(`/checkout/api/orders/${id}`).then((r) => r.json()), order.orderId)).state,
        ).toBe('pending_payment');
        expect(await page.getAttribute('#state', 'data-state')).toBe('pending_payment');

        // A refused card: an error that looks like one, why in the visitor's words (not the provider's English).
        await page.fill('#token', 'tok_insufficient_funds');
        await page.click('#pay-button');
        const refused = await shownError(page);
        expect(refused.text).toMatch(words.insufficient);
        expect(refused).toMatchObject(ERROR_LOOK);
        if (locale !== 'en') expect(refused.text).not.toMatch(/insufficient|declined/);
        await page.waitForSelector('#pay-button:not([disabled])');
        // The keyboard is where the buyer goes on from: the card field, not the top of the page.
        expect(await page.evaluate(() => document.activeElement?.id)).toBe('token');
        expect(await accessibilityProblems(page)).toEqual([]);
        await shot('4b-refused');
        // No connection when paying: said as an error, never nothing, and Pay works again.
        await page.route('**/checkout/api/orders/*/payment', (route) => route.abort('internetdisconnected'));
        await page.click('#pay-button');
        await page.waitForFunction(
          (re) => new RegExp(re, 'i').test(document.querySelector('#error .alert')?.textContent ?? ''),
          words.noConnection.source,
        );
        expect(await shownError(page)).toMatchObject(ERROR_LOOK);
        await page.waitForSelector('#pay-button:not([disabled])');
        await shot('4c-no-connection');
        await page.unroute('**/checkout/api/orders/*/payment');
        // A good card (approved after a few seconds): Pay cannot be pressed twice, the page says it awaits the payment.
        await page.fill('#token', 'tok_timeout');
        await page.click('#pay-button');
        expect(await page.isDisabled('#pay-button')).toBe(true);
        // Awaiting the payment, or an error saying why not (then said here).
        await page.waitForSelector('#state[data-state="awaiting_payment"], #error .alert', { timeout: 30_000 });
        expect(await page.textContent('#error')).toBe('');
        await page.waitForSelector('#state[data-state="awaiting_payment"]', { timeout: 30_000 });
        expect(await page.textContent('#explain')).toMatch(words.awaiting);
        expect(await page.isVisible('#progress')).toBe(true);
        expect(await page.isHidden('#pay')).toBe(true);
        expect(await page.textContent('#error')).toBe('');
        expect(await accessibilityProblems(page)).toEqual([]);
        await shot('4d-awaiting-payment');
        await page.waitForSelector('#state[data-state="confirmed"]', { timeout: 30_000 });
        expect(await page.textContent('#state')).toMatch(new RegExp(`^${words.confirmed}`));
        expect(await page.textContent('.show-title')).toBe('The Last Starfall');
        expect(await page.locator('#tickets a').count()).toBe(2);
        expect(await accessibilityProblems(page)).toEqual([]);
        await shot('5-confirmed');
        await page.click('#tickets a');
        await page.waitForURL('**/checkout/tickets/*');
        const code = await page.textContent('.code');
        expect(code).toMatch(/^[2-9A-HJ-NP-Z]{10}$/);
        // The QR code the door scans says the same code.
        const qr = PNG.sync.read(await page.locator('.ticket .qr').screenshot());
        expect(jsQR(new Uint8ClampedArray(qr.data), qr.width, qr.height)?.data).toBe(code);
        expect(await page.textContent('h1')).toBe('The Last Starfall');
        expect(await page.textContent('.show-details')).toBe(`${words.details} · ${starts}`);
        expect(await accessibilityProblems(page)).toEqual([]);
        await shot('6-ticket');
        // Printed: the ticket alone, without the site's header and buttons.
        await page.emulateMedia({ media: 'print' });
        expect(await page.isHidden('header')).toBe(true);
        expect(await page.isHidden('#print')).toBe(true);
        await shot('6a-ticket-printed');
        await page.emulateMedia({ media: 'screen' });
        // The switch: the same page in the other language, and it sticks.
        await page.click(`a[hreflang="${words.switchTo}"]`);
        await page.waitForURL('**/checkout/tickets/*');
        expect(await lang()).toBe(words.switchTo);
        // And back to the order, in one tap.
        await page.click(`a[href="/checkout/orders/${order.orderId}"]`);
        await page.waitForSelector('#state[data-state="confirmed"]');
        await page.goto(`${edge}/`);
        expect(await lang()).toBe(words.switchTo);
      } catch (err) {
        await shot('failed').catch(() => undefined);
        throw err;
      } finally {
        await page.close();
      }
    },
    180_000,
  );
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

  /** A buyer on the short-hold stack, holding one seat on the order page. */
  async function holding(options: Parameters<Browser['newPage']>[0]) {
    const page = await browser.newPage(options);
    await page.goto(`${shortEdge}/waiting-room/${PREMIERE}`);
    await page.waitForURL(`**/checkout/${PREMIERE}?access=*`, { timeout: 30_000 });
    await page.waitForSelector('.seat.free');
    await page.locator('.seat.free').nth(0).click();
    await page.click('#hold');
    await page.waitForURL('**/checkout/orders/*');
    await page.waitForSelector('#pay:not([hidden])');
    return page;
  }

  it('counts down, then says so, takes the Pay button away and leads back to the waiting room in one tap', async () => {
    const page = await holding({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
      locale: 'pt-BR',
    });
    try {
      // A countdown, on the page's own clock: m:ss left, going down.
      const left = async () =>
        Number(
          /(\d+):(\d\d)/
            .exec((await page.textContent('#countdown')) ?? '')
            ?.slice(1)
            .reduce((m, s) => String(Number(m) * 60 + Number(s))) ?? NaN,
        );
      const first = await left();
      expect(first).toBeGreaterThan(0);
      expect(first).toBeLessThanOrEqual(10);
      await eventually(async () => (await left()) < first, 5_000, 250);
      await page.screenshot({ path: path.join(ARTIFACTS, 'pt-BR-phone-hold-1-counting.png'), fullPage: true });
      // Run out, without a reload: expired, nothing to pay, the way back at hand.
      await page.waitForSelector('#state[data-state="expired"]', { timeout: 30_000 });
      expect(await page.isHidden('#pay')).toBe(true);
      expect(await page.isHidden('#countdown')).toBe(true);
      expect(await page.textContent('#explain')).toMatch(/voltaram à venda/);
      expect(await page.isVisible('#others')).toBe(true);
      expect(await accessibilityProblems(page)).toEqual([]);
      await page.screenshot({ path: path.join(ARTIFACTS, 'pt-BR-phone-hold-2-expired.png'), fullPage: true });
      await page.click('#again');
      await page.waitForURL(`**/waiting-room/${PREMIERE}`);
    } finally {
      await page.close();
    }
  }, 120_000);

  it('gives the seats up only when the buyer confirms, then leads to the waiting room or the movie’s other shows in one tap', async () => {
    const page = await holding({ viewport: { width: 1280, height: 800 }, locale: 'en' });
    try {
      await page.click('#giveup');
      await page.click('#confirm-giveup button[value="giveup"]');
      await page.waitForSelector('#state[data-state="cancelled"]', { timeout: 10_000 });
      expect(await page.isHidden('#pay')).toBe(true);
      expect(await page.isHidden('#giveup')).toBe(true);
      expect(await page.textContent('#explain')).toMatch(/free for others again/);
      // The way on has the focus: one key or tap away.
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('again');
      expect(await page.getAttribute('#again', 'href')).toBe(`/waiting-room/${PREMIERE}`);
      expect(await accessibilityProblems(page)).toEqual([]);
      await page.screenshot({ path: path.join(ARTIFACTS, 'en-desktop-cancelled.png'), fullPage: true });
      await page.click('#others');
      await page.waitForURL('**/movies/last-starfall');
    } finally {
      await page.close();
    }
  }, 120_000);
});

// The seat map (issue 16): the premiere is in the demo's VIP room (4 rows of 6, an aisle after the
// third), at the VIP prices (demo-catalog.ts: R$ 70,00 full, R$ 35,00 half).
// The room has accessible places of the three kinds, so its legend names them (the wheelchair's swatch is its sign).
const SEAT_MAP = {
  'pt-BR': {
    screen: 'TELA',
    legend: [
      'Livre',
      'Sua escolha',
      'Reservado (pode ser liberado)',
      'Vendido',
      '♿Espaço para cadeirante',
      'Acompanhante de cadeirante',
      'Mobilidade reduzida',
    ],
    full: 'Inteira',
    half: 'Meia-entrada',
    lost: /acabou de ser reservado por outra pessoa/,
    limit: /o máximo desta compra/,
  },
  en: {
    screen: 'SCREEN',
    legend: [
      'Free',
      'Your choice',
      'Held (may be released)',
      'Sold',
      '♿Wheelchair space',
      'Wheelchair user’s companion',
      'Reduced mobility',
    ],
    full: 'Full price',
    half: 'Half price',
    lost: /was just held by someone else/,
    limit: /the most this visit allows/,
  },
} as const;
const PRICES = { full: 7000, half: 3500 };
const brl = (locale: keyof typeof SEAT_MAP, cents: number) =>
  new Intl.NumberFormat(locale, { style: 'currency', currency: 'BRL' }).format(cents / 100);

/** The seat map as it opens: the show named, the prices per ticket type, the screen, the legend; nothing axe finds serious. */
async function seatMapBeforeChoosing(page: Page, locale: keyof typeof SEAT_MAP) {
  const words = SEAT_MAP[locale];
  expect(await page.textContent('h1')).toBe('The Last Starfall');
  expect(await page.textContent('.show-details')).toMatch(/^Cine Paulista, São Paulo · VIP · /);
  expect(await page.textContent('.screen')).toBe(words.screen);
  expect(await page.locator('.legend li').allTextContents()).toEqual(words.legend);
  expect((await page.locator('.prices li').allTextContents()).map((t) => t.replace(/\s+/g, ' '))).toEqual(
    [`${words.full} ${brl(locale, PRICES.full)}`, `${words.half} ${brl(locale, PRICES.half)}`].map((t) =>
      t.replace(/\s+/g, ' '),
    ),
  );
  expect(await page.textContent('#total')).toBe(brl(locale, 0));
  expect(await accessibilityProblems(page)).toEqual([]);
}

/** Two seats chosen: the total is two full tickets; one switched to half price, it follows (and back, for the steps after). */
async function totalWhenSwitchingToHalf(page: Page, locale: keyof typeof SEAT_MAP, device: 'phone' | 'desktop') {
  expect(await page.textContent('#total')).toBe(brl(locale, 2 * PRICES.full));
  const second = page.locator('#chosen select').nth(1);
  await second.selectOption('half');
  expect(await page.textContent('#total')).toBe(brl(locale, PRICES.full + PRICES.half));
  expect(await page.locator('#lines li').count()).toBe(2); // a line per ticket type
  expect(await accessibilityProblems(page)).toEqual([]);
  await page.screenshot({ path: path.join(ARTIFACTS, `${locale}-${device}-3a-seats-half.png`), fullPage: true });
  await second.selectOption('full');
  expect(await page.textContent('#total')).toBe(brl(locale, 2 * PRICES.full));
}

browserTest('the seat map on a phone and a desktop, while it is open', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser(ARTIFACTS);
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** A browser page admitted to the premiere's seat map; the seat map's first reading is answered by `first` (the real one if not given). */
  async function seatMapPage(options: Parameters<Browser['newPage']>[0], first?: Parameters<Page['route']>[1]) {
    const page = await browser.newPage(options);
    if (first) await page.route('**/checkout/api/shows/*/seats', first, { times: 1 });
    await page.goto(`${edge}/waiting-room/${PREMIERE}`);
    await page.waitForURL(`**/checkout/${PREMIERE}?access=*`, { timeout: 30_000 });
    return page;
  }

  it('on a phone: a skeleton while loading, an error to retry, 44 px seats, the keyboard, the limit said, and a seat another buyer holds shows within the refresh', async () => {
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    // The first reading waits, then fails as a broken gateway would: the skeleton, then the error.
    const page = await seatMapPage(
      { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'pt-BR' },
      async (route) => {
        await answered;
        await route.fulfill({ status: 502, contentType: 'text/html', body: '<html>bad gateway</html>' });
      },
    );
    const shot = (name: string) =>
      page.screenshot({ path: path.join(ARTIFACTS, `pt-BR-phone-seat-map-${name}.png`), fullPage: true });
    let otherHold: { orderId: string; headers: Record<string, string> } | null = null;
    try {
      await page.waitForSelector('#map .skeleton');
      expect(await page.isVisible('#loading')).toBe(true);
      await shot('1-loading');
      expect(await accessibilityProblems(page)).toEqual([]);
      answer();
      await page.waitForSelector('#load-error:not([hidden])');
      expect(await page.getAttribute('#load-error', 'role')).toBe('alert');
      expect(await page.textContent('#load-error')).toMatch(/Não conseguimos carregar o mapa de assentos/);
      await shot('2-error');
      expect(await accessibilityProblems(page)).toEqual([]);
      await page.click('#retry');
      await page.waitForSelector('.seat.free');
      expect(await page.isHidden('#load-error')).toBe(true);

      // Touch targets: every seat at least 44 px; the page itself never wider than the phone.
      const sizes = await page
        .locator('.seat')
        .evaluateAll((seats) => seats.map((s) => s.getBoundingClientRect()).map((r) => Math.min(r.width, r.height)));
      expect(Math.min(...sizes)).toBeGreaterThanOrEqual(44);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await shot('3-map');
      expect(await accessibilityProblems(page)).toEqual([]);

      // The keyboard: a seat is focused with a visible ring, chosen with Space, its name says so.
      const first = page.locator('.seat.free').first();
      await first.focus();
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('ArrowLeft');
      expect(await page.evaluate(() => document.activeElement?.getAttribute('data-seat'))).toBe(
        await first.getAttribute('data-seat'),
      );
      expect(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).toBe('solid');
      await page.keyboard.press('Space');
      expect(await first.getAttribute('aria-pressed')).toBe('true');
      expect(await first.getAttribute('aria-label')).toMatch(/^Fileira [A-Z], assento \d+, escolhido por você$/);
      const chosen = (await first.getAttribute('data-seat'))!;

      // The visit's limit (6 by default): the seventh is refused and said, not silently ignored.
      const more = page.locator('.seat.free[aria-pressed="false"]');
      for (let n = 0; n < 5; n++) await more.first().click();
      expect(await page.locator('.seat[aria-pressed="true"]').count()).toBe(6);
      await more.first().click();
      expect(await page.locator('.seat[aria-pressed="true"]').count()).toBe(6);
      expect(await page.textContent('#message')).toMatch(SEAT_MAP['pt-BR'].limit);
      await shot('4-limit');

      // Another buyer holds the first chosen seat: on the next refresh (the window's focus brings
      // one on, as the 12 s timer would) the page shows it held, drops it from the choice and says so.
      const other = await admittedBuyer();
      const held = await fetch(`${edge}${other.zone.orders}`, {
        method: 'POST',
        headers: other.headers,
        body: JSON.stringify({ seats: [{ seat: chosen, ticketType: 'full' }] }),
      });
      expect(held.status).toBe(201);
      otherHold = { orderId: (await held.json()).orderId, headers: other.headers };
      const seat = page.locator(`.seat[data-seat="${chosen}"]`);
      await eventually(
        async () => {
          await page.evaluate(() => window.dispatchEvent(new Event('focus')));
          return (await page.locator(`.seat.held[data-seat="${chosen}"]`).count()) > 0;
        },
        30_000,
        1_000,
      );
      expect(await seat.getAttribute('aria-label')).toMatch(/reservado por outra pessoa$/);
      expect(await page.textContent('#message')).toMatch(SEAT_MAP['pt-BR'].lost);
      expect(await page.locator('.seat[aria-pressed="true"]').count()).toBe(5);
      expect(await page.textContent('#total')).toBe(brl('pt-BR', 5 * PRICES.full));
      await shot('5-refreshed');
      expect(await accessibilityProblems(page)).toEqual([]);
    } catch (err) {
      await shot('failed').catch(() => undefined);
      throw err;
    } finally {
      // The other buyer's hold given up, whatever happened: the seat free for the tests after.
      if (otherHold)
        await fetch(`${edge}/checkout/api/orders/${otherHold.orderId}`, {
          method: 'DELETE',
          headers: otherHold.headers,
        });
      await page.close();
    }
  }, 120_000);

  it('on a desktop, in English: smaller seats but readable, the same map', async () => {
    const page = await seatMapPage({ viewport: { width: 1280, height: 800 }, locale: 'en' });
    try {
      await page.waitForSelector('.seat.free');
      await seatMapBeforeChoosing(page, 'en');
      const size = await page
        .locator('.seat')
        .first()
        .evaluate((s) => s.getBoundingClientRect().width);
      expect(size).toBeGreaterThanOrEqual(32);
      expect(await page.locator('.seat.free').first().getAttribute('aria-label')).toMatch(
        /^Row [A-Z], seat \d+, free$/,
      );
      await page.locator('.seat.free').first().click();
      expect(await page.textContent('#total')).toBe(brl('en', PRICES.full));
      await page.screenshot({ path: path.join(ARTIFACTS, 'en-desktop-seat-map.png'), fullPage: true });
      expect(await accessibilityProblems(page)).toEqual([]);
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
      // Two seats: the map is one Tab stop, the arrow keys go from seat to seat; each pressed keeps
      // the focus on itself and says it is chosen.
      await tabTo('.seat.free:not(.chosen)');
      for (let n = 0; n < 2; n++) {
        // (the next free seat along the row, or in the row behind when the row ends there)
        if (n > 0)
          for (const key of ['ArrowRight', 'ArrowDown', 'ArrowLeft'])
            if ((await page.keyboard.press(key), await focused('.seat.free:not(.chosen)'))) break;
        expect(await focused('.seat.free:not(.chosen)')).toBe(true);
        expect(await focusShows()).toBe(true);
        await page.keyboard.press(n === 0 ? 'Space' : 'Enter');
        expect(await focused('.seat.chosen')).toBe(true);
        expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-pressed'))).toBe('true');
      }
      // One Tab and the map is behind: no seat on the way to Hold.
      await page.keyboard.press('Tab');
      expect(await focused('.seat')).toBe(false);
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
      await page
        .screenshot({ path: path.join(ARTIFACTS, 'pt-BR-desktop-keyboard-failed.png'), fullPage: true })
        .catch(() => undefined);
      throw err;
    } finally {
      await page.close();
    }
  }, 120_000);
});
