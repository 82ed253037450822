import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import type { Browser } from 'playwright-core';
import { showHeadingOf } from '@premiere/contracts';
import { i18n } from '@premiere/web';
import { eventually, addTestShow } from '@premiere/testing';
import { accessibilityProblems, canRunBrowser, launchBrowser } from '@premiere/testing/browser';
import { orderPage } from '../src/pages';
import type { OrderView } from '../src/orders';
import { ticketPage, type Ticket } from '../src/tickets';
import { reserveSeatWorld } from './world';

/**
 * The order and ticket pages (issue 16): the show named on both, the order summed up seat by seat,
 * errors that look like errors, giving up only after a confirmation, a payment form that says it
 * is a demonstration, a ticket that prints and leads back to its order.
 */
const world = reserveSeatWorld({ legacy: { latencyMs: [5, 20], concurrencyLimit: 10 } });
let url: string;
beforeAll(async () => {
  ({ url } = await world.start());
});

/** A visitor admitted to `showId` who holds `seats` (A1 full, A2 half…) and two large popcorns: their session and order. */
async function heldOrder(showId: string) {
  const { session, headers } = await world.admit(url, showId, 'order-page');
  const res = await fetch(`${url}/checkout/api/shows/${showId}/orders`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      seats: [
        { seat: 'A1', ticketType: 'full' },
        { seat: 'A2', ticketType: 'half' },
      ],
      extras: [{ extraId: 'paulista-popcorn', quantity: 2 }],
    }),
  });
  expect(res.status).toBe(201);
  return { session, order: (await res.json()) as { orderId: string } };
}

const STARTS_AT = new Date('2027-01-10T23:00:00.000Z'); // 20:00 in São Paulo

describe('the order page', () => {
  it('names the show and sums the order up, seat by seat, for its buyer in their language; to anyone else, neither', async () => {
    const showId = await addTestShow(world.db.url, { seats: 40, startsAt: STARTS_AT });
    const { session, order } = await heldOrder(showId);
    const pageIn = async (language: string, as = session) => {
      const res = await fetch(`${url}/checkout/orders/${order.orderId}`, {
        headers: { 'x-session-id': as, 'accept-language': language },
      });
      expect(res.status).toBe(200);
      return res.text();
    };
    const pt = await pageIn('pt-BR');
    expect(pt).toContain('<h2 class="show-title">The Last Starfall</h2>');
    expect(pt).toContain(
      'Cine Paulista, São Paulo · Tradicional · <time datetime="2027-01-10T23:00:00.000Z">dom., 10 de jan., 20:00</time>',
    );
    expect(pt).toMatch(
      /Assento A1<\/span> <span class="muted">Inteira<\/span><\/th><td class="num">R\$\u00a050,00<\/td>/,
    );
    expect(pt).toMatch(
      /Assento A2<\/span> <span class="muted">Meia-entrada<\/span><\/th><td class="num">R\$\u00a025,00<\/td>/,
    );
    expect(pt).toMatch(/2 × Pipoca grande<\/span><\/th><td class="num">R\$\u00a056,00<\/td>/);
    expect(pt).toMatch(/Total<\/th><td class="num"><strong id="total">R\$\u00a0131,00<\/strong>/);
    expect(pt).toContain('Pagar R$\u00a0131,00');

    const en = await pageIn('en');
    expect(en).toContain(
      'Cine Paulista, São Paulo · Regular · <time datetime="2027-01-10T23:00:00.000Z">Sun, Jan 10, 8:00 PM</time>',
    );
    expect(en).toMatch(/Seat A2<\/span> <span class="muted">Half price<\/span><\/th><td class="num">R\$25\.00<\/td>/);
    expect(en).toContain('Pay R$131.00');

    // Another browser: the page, with nothing of the order on it (its script says it is not theirs).
    const stranger = await pageIn('pt-BR', 'someone-else-session-0001');
    expect(stranger).not.toContain('The Last Starfall');
    expect(stranger).not.toContain('A1');
    expect(stranger).toContain('<h1>Seu pedido</h1>');
  });

  it('gives apps the show in the order’s JSON', async () => {
    const showId = await addTestShow(world.db.url, { seats: 40, startsAt: STARTS_AT });
    const { session, order } = await heldOrder(showId);
    const view = await (
      await fetch(`${url}/checkout/api/orders/${order.orderId}`, { headers: { 'x-session-id': session } })
    ).json();
    expect(view.show).toEqual({
      showId,
      title: 'The Last Starfall',
      cinemaName: 'Cine Paulista',
      city: 'São Paulo',
      roomType: 'regular',
      startsAt: STARTS_AT.getTime(),
      timeZone: 'America/Sao_Paulo',
    });
    expect(view.movieId).toBe('last-starfall');
    // As the shared loader reads it (the seat map's and the waiting room's pages name the show alike).
    const catalog = new pg.Pool({ connectionString: world.db.url, max: 1 });
    try {
      expect(await showHeadingOf(catalog, showId)).toEqual(view.show);
      expect(await showHeadingOf(catalog, 'no-such-show')).toBeNull();
    } finally {
      await catalog.end();
    }
  });
});

const order: OrderView = {
  orderId: '00000000-0000-4000-8000-000000000001',
  showId: 'estrela-1',
  movieId: 'estrela',
  state: 'pending_payment',
  holdExpiresAt: '2027-01-10T21:02:00.000Z',
  currency: 'BRL',
  totalCents: 7_500,
  rejectionReason: null,
  timeZone: 'America/Sao_Paulo',
  seats: [
    { seat: 'C7', ticketType: 'full', priceCents: 5_000 },
    { seat: 'C8', ticketType: 'half', priceCents: 2_500 },
  ],
  extras: [],
  tickets: [],
  show: {
    showId: 'estrela-1',
    title: 'Estrela Cadente',
    cinemaName: 'Cine Paulista',
    city: 'São Paulo',
    roomType: 'vip',
    startsAt: Date.parse('2027-01-10T23:00:00.000Z'),
    timeZone: 'America/Sao_Paulo',
  },
};

describe('the order page’s parts', () => {
  const pt = orderPage(i18n('pt-BR'), order.orderId, order);

  it('says, without JavaScript, that following and paying the order needs it', () => {
    expect(pt).toMatch(
      new RegExp(`<noscript><p class="alert"[^>]*>${i18n('pt-BR').t('order.needsScript')}</p></noscript>`),
    );
  });

  it('has a place for errors that screen readers announce and eyes see as an error', () => {
    expect(pt).toContain('<div id="error" role="alert"></div>');
    // (That a failed request shows there, in a browser: purchase.test.ts's "4c-no-connection" step.)
  });

  it('asks before giving up, in a labelled dialog whose first choice keeps the order', () => {
    expect(pt).toContain('<dialog id="confirm-giveup" aria-labelledby="giveup-title" aria-describedby="giveup-text">');
    expect(pt).toContain('<h2 id="giveup-title">Desistir dos assentos?</h2>');
    expect(pt).toMatch(
      /<button value="keep" class="primary" autofocus>Continuar com o pedido<\/button>\s*<button value="giveup" class="danger">Desistir dos assentos<\/button>/,
    );
    expect(pt).toContain('Os assentos C7 e C8 voltam à venda na hora');
  });

  it('says the seats given up as a list in the visitor’s language, one seat in the singular', () => {
    const seat = (s: string) => ({ seat: s, ticketType: 'full' as const, priceCents: 5_000 });
    const giveUpText = (locale: 'pt-BR' | 'en', seats: string[]) =>
      /<p id="giveup-text">([^<]*)<\/p>/.exec(
        orderPage(i18n(locale), order.orderId, { ...order, seats: seats.map(seat) }),
      )?.[1];
    expect(giveUpText('pt-BR', ['C7'])).toMatch(/^O assento C7 volta à venda na hora/);
    expect(giveUpText('pt-BR', ['C7', 'C8', 'C9'])).toMatch(/^Os assentos C7, C8 e C9 voltam à venda na hora/);
    expect(giveUpText('en', ['C7'])).toMatch(/^Seat C7 goes back on sale at once/);
    expect(giveUpText('en', ['C7', 'C8', 'C9'])).toMatch(/^Seats C7, C8, and C9 go back on sale at once/);
  });

  it('says the card field is a demonstration’s, labelled, and makes paying the primary action', () => {
    expect(pt).toContain('<label for="token">Token do cartão de teste</label>');
    expect(pt).toMatch(
      /<input id="token"[^>]* autocomplete="off"[^>]* inputmode="text"[^>]* aria-describedby="card-hint"/,
    );
    expect(pt).toContain('tok_insufficient_funds');
    expect(pt).toContain('<button id="pay-button" type="submit" class="primary">Pagar R$\u00a075,00</button>');
  });
});

const browserTest = canRunBrowser ? describe : describe.skip;
browserTest('the order page in a browser', () => {
  // One browser for every case below (a page each).
  const ARTIFACTS = path.resolve(__dirname, '../../../test-artifacts/purchase');
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser(ARTIFACTS);
  });
  afterAll(async () => {
    await browser?.close();
  });

  describe('on a phone, as it opens', () => {
    it('shows Pay without scrolling, however many seats the order has', async () => {
      const ORIGIN = 'http://premiere.test';
      const seats = ['C5', 'C6', 'C7', 'C8', 'C9', 'C10'].map(
        (seat, n) =>
          ({
            seat,
            ticketType: n % 2 ? 'half' : 'full',
            priceCents: n % 2 ? 2_500 : 5_000,
          }) as OrderView['seats'][number],
      );
      const big = {
        ...order,
        seats,
        extras: [{ extraId: 'pipoca', name: 'Pipoca grande', quantity: 2, priceCents: 5_600 }],
        totalCents: 28_100,
        holdExpiresAt: new Date(Date.now() + 120_000).toISOString(),
      } as OrderView;
      for (const locale of ['pt-BR', 'en'] as const) {
        const page = await browser.newPage({
          viewport: { width: 390, height: 844 },
          isMobile: true,
          hasTouch: true,
          locale,
        });
        await page.route(`${ORIGIN}/**`, (route) => {
          const url = new URL(route.request().url());
          if (url.pathname === `/checkout/api/orders/${order.orderId}`) return route.fulfill({ json: big });
          if (url.pathname === `/checkout/orders/${order.orderId}`)
            return route.fulfill({
              contentType: 'text/html; charset=utf-8',
              body: orderPage(i18n(locale), order.orderId, big),
            });
          return route.fulfill({ status: 404, body: '' });
        });
        try {
          await page.goto(`${ORIGIN}/checkout/orders/${order.orderId}`);
          await page.locator('#countdown:not([hidden])').waitFor();
          const pay = await page.locator('#pay-button').evaluate((b) => {
            const r = b.getBoundingClientRect();
            return { top: r.top, bottom: r.bottom };
          });
          expect(pay.top).toBeGreaterThanOrEqual(0);
          expect(pay.bottom).toBeLessThanOrEqual(844);
          expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
          await page.screenshot({ path: path.join(ARTIFACTS, `${locale}-phone-order-pay-in-sight.png`) });
          expect(await accessibilityProblems(page)).toEqual([]);
        } finally {
          await page.close();
        }
      }
    }, 60_000);
  });

  describe('while the payment is awaited', () => {
    it('says the state once, not again at every poll: the live region is written only when its words change', async () => {
      const ORIGIN = 'http://premiere.test';
      const awaiting = { ...order, state: 'awaiting_payment' };
      const page = await browser.newPage({
        viewport: { width: 390, height: 844 },
        isMobile: true,
        hasTouch: true,
        locale: 'pt-BR',
      });
      await page.clock.install();
      let polls = 0;
      await page.route(`${ORIGIN}/**`, (route) => {
        const url = new URL(route.request().url());
        if (url.pathname === `/checkout/api/orders/${order.orderId}`)
          return (polls++, route.fulfill({ json: awaiting }));
        if (url.pathname === `/checkout/orders/${order.orderId}`)
          return route.fulfill({
            contentType: 'text/html; charset=utf-8',
            body: orderPage(i18n('pt-BR'), order.orderId, awaiting),
          });
        return route.fulfill({ status: 404, body: '' });
      });
      try {
        await page.goto(`${ORIGIN}/checkout/orders/${order.orderId}`);
        await eventually(async () => /Aguardando/.test((await page.textContent('#explain')) ?? ''), 10_000, 100);
        // From now on, every change to the live region's words (each one a screen reader says again).
        await page.evaluate(() => {
          const w = window as unknown as { changes: number };
          w.changes = 0;
          new MutationObserver((records) => (w.changes += records.length)).observe(
            document.querySelector('[aria-live]')!,
            { subtree: true, childList: true, characterData: true },
          );
        });
        const before = polls;
        for (let n = 0; n < 4; n++) {
          await page.clock.runFor(1_100);
          await page.waitForTimeout(150); // its answer
        }
        expect(polls).toBeGreaterThanOrEqual(before + 3);
        expect(await page.evaluate(() => (window as unknown as { changes: number }).changes)).toBe(0);
      } finally {
        await page.close();
      }
    }, 60_000);
  });

  describe('while the API is out of reach', () => {
    it('keeps following the order through 503s and a lost connection: says calmly that it reconnects, tries again less and less often, and picks up by itself', async () => {
      const ORIGIN = 'http://premiere.test';
      const awaiting = { ...order, state: 'awaiting_payment' };
      const confirmed = {
        ...order,
        state: 'confirmed',
        tickets: [
          { seat: 'C7', code: 'K7M2P9QX4R', url: '/checkout/tickets/K7M2P9QX4R' },
          { seat: 'C8', code: 'H3J4N6W8YZ', url: '/checkout/tickets/H3J4N6W8YZ' },
        ],
      };
      const page = await browser.newPage({
        viewport: { width: 390, height: 844 },
        isMobile: true,
        hasTouch: true,
        locale: 'pt-BR',
      });
      await page.clock.install();
      // The API as a function whose database restarts answers it (503, Retry-After), then no answer at all, then back.
      let api: 'up' | 'unavailable' | 'offline' = 'up';
      let reads = 0;
      let answer = awaiting;
      await page.route(`${ORIGIN}/**`, (route) => {
        const url = new URL(route.request().url());
        if (url.pathname === `/checkout/api/orders/${order.orderId}`) {
          reads++;
          if (api === 'offline') return route.abort('internetdisconnected');
          if (api === 'unavailable')
            return route.fulfill({
              status: 503,
              headers: { 'retry-after': '5' },
              json: {
                statusCode: 503,
                error: 'Service Unavailable',
                message: 'the database (PostgreSQL) is unavailable for the moment; try again in 5 seconds',
                retryAfterSeconds: 5,
              },
            });
          return route.fulfill({ json: answer });
        }
        if (url.pathname === `/checkout/orders/${order.orderId}`)
          return route.fulfill({
            contentType: 'text/html; charset=utf-8',
            body: orderPage(i18n('pt-BR'), order.orderId, awaiting),
          });
        return route.fulfill({ status: 404, body: '' });
      });
      /** The page's clock run `ms` on, a second at a time, each second's answer let in. */
      async function run(ms: number) {
        for (let t = 0; t < ms; t += 1_000) {
          await page.clock.runFor(1_000);
          await page.waitForTimeout(30);
        }
      }
      try {
        await page.goto(`${ORIGIN}/checkout/orders/${order.orderId}`);
        await eventually(async () => /Aguardando/.test((await page.textContent('#explain')) ?? ''), 10_000, 100);
        expect(await page.isHidden('#reconnecting')).toBe(true);
        // A minute of 503s: said as a passing thing, not an error; what the page knew stays; fewer tries as it lasts.
        api = 'unavailable';
        const before = reads;
        await run(60_000);
        expect(await page.isVisible('#reconnecting')).toBe(true);
        expect(await page.textContent('#reconnecting')).toMatch(/Reconectando/);
        expect(await page.textContent('#error')).toBe('');
        expect(await page.getAttribute('#state', 'data-state')).toBe('awaiting_payment');
        expect(await page.textContent('#explain')).toMatch(/Aguardando/);
        expect(reads - before).toBeGreaterThanOrEqual(4);
        expect(reads - before).toBeLessThanOrEqual(10); // not the 60 of a poll a second
        expect(await accessibilityProblems(page)).toEqual([]);
        await page.screenshot({ path: path.join(ARTIFACTS, 'pt-BR-phone-order-reconnecting.png'), fullPage: true });
        // No answer at all: the same.
        api = 'offline';
        await run(20_000);
        expect(await page.isVisible('#reconnecting')).toBe(true);
        expect(await page.textContent('#error')).toBe('');
        // Back, the payment confirmed meanwhile: the page says so by itself, within the longest wait (15 s).
        api = 'up';
        answer = confirmed;
        await run(16_000);
        expect(await page.getAttribute('#state', 'data-state')).toBe('confirmed');
        expect(await page.isHidden('#reconnecting')).toBe(true);
        expect(await page.locator('#tickets a').count()).toBe(2);
        expect(await accessibilityProblems(page)).toEqual([]);
      } finally {
        await page.close();
      }
    }, 120_000);
  });

  describe('giving up without a connection', () => {
    it('says it could not confirm the give-up, reads the order again to show what happened, and sends nothing again by itself', async () => {
      const ORIGIN = 'http://premiere.test';
      const pending = {
        ...order,
        state: 'pending_payment',
        holdExpiresAt: new Date(Date.now() + 120_000).toISOString(),
      };
      const page = await browser.newPage({
        viewport: { width: 390, height: 844 },
        isMobile: true,
        hasTouch: true,
        locale: 'pt-BR',
      });
      let deletes = 0;
      let reads = 0;
      await page.route(`${ORIGIN}/**`, (route) => {
        const url = new URL(route.request().url());
        if (url.pathname === `/checkout/api/orders/${order.orderId}`) {
          if (route.request().method() === 'DELETE') return (deletes++, route.abort('internetdisconnected'));
          reads++;
          // After the give-up, the read is slow (as on a phone coming back): counted here before the page has it.
          return deletes ? delay(500).then(() => route.fulfill({ json: pending })) : route.fulfill({ json: pending });
        }
        if (url.pathname === `/checkout/orders/${order.orderId}`)
          return route.fulfill({
            contentType: 'text/html; charset=utf-8',
            body: orderPage(i18n('pt-BR'), order.orderId, pending),
          });
        return route.fulfill({ status: 404, body: '' });
      });
      try {
        await page.goto(`${ORIGIN}/checkout/orders/${order.orderId}`);
        await eventually(async () => reads > 0, 10_000, 100);
        const before = reads;
        await page.click('#giveup');
        await page.click('dialog button[value="giveup"]');
        await eventually(async () => ((await page.textContent('#error')) ?? '') !== '', 10_000, 100);
        const said = (await page.textContent('#error')) ?? '';
        expect(said).toMatch(/não sabemos se a desistência chegou/);
        expect(said).not.toMatch(/tentamos|sozinh/);
        await eventually(async () => reads > before, 10_000, 100); // the order read again
        await eventually(async () => !/Liberando/.test((await page.textContent('#explain')) ?? ''), 10_000, 100);
        await eventually(() => page.isEnabled('#giveup'), 10_000, 100);
        await page.waitForTimeout(3_000);
        expect(deletes).toBe(1);
      } finally {
        await page.close();
      }
    }, 60_000);
  });

  describe('paying while the order cannot be read', () => {
    // The payment accepted (202) while every read of the order fails: the buyer must not be offered to pay again or to give up seats they paid for.
    for (const outage of ['aborted', '503'] as const) {
      it(`says the payment is awaited once the payment request is accepted, though the order's reads fail (${outage}), until a read says otherwise`, async () => {
        const ORIGIN = 'http://premiere.test';
        const page = await browser.newPage({
          viewport: { width: 390, height: 844 },
          isMobile: true,
          hasTouch: true,
          locale: 'pt-BR',
        });
        await page.clock.install({ time: new Date('2027-01-10T21:00:00.000Z') });
        const pending = { ...order, state: 'pending_payment', holdExpiresAt: '2027-01-10T21:02:00.000Z' };
        const confirmed = {
          ...order,
          state: 'confirmed',
          tickets: [
            { seat: 'C7', code: 'K7M2P9QX4R', url: '/checkout/tickets/K7M2P9QX4R' },
            { seat: 'C8', code: 'H3J4N6W8YZ', url: '/checkout/tickets/H3J4N6W8YZ' },
          ],
        };
        let api: 'up' | 'down' = 'up';
        let answer: OrderView = pending as OrderView;
        let payments = 0;
        await page.route(`${ORIGIN}/**`, (route) => {
          const url = new URL(route.request().url());
          if (url.pathname === `/checkout/api/orders/${order.orderId}/payment`) {
            payments++;
            return route.fulfill({
              status: 202,
              json: {
                orderId: order.orderId,
                state: 'awaiting_payment',
                paymentId: 'pay-1',
                statusUrl: `/checkout/api/orders/${order.orderId}`,
              },
            });
          }
          if (url.pathname === `/checkout/api/orders/${order.orderId}`) {
            if (api === 'down')
              return outage === 'aborted'
                ? route.abort('internetdisconnected')
                : route.fulfill({
                    status: 503,
                    json: { statusCode: 503, error: 'Service Unavailable', message: 'unavailable' },
                  });
            return route.fulfill({ json: answer });
          }
          if (url.pathname === `/checkout/orders/${order.orderId}`)
            return route.fulfill({
              contentType: 'text/html; charset=utf-8',
              body: orderPage(i18n('pt-BR'), order.orderId, pending as OrderView),
            });
          return route.fulfill({ status: 404, body: '' });
        });
        async function run(ms: number) {
          for (let t = 0; t < ms; t += 1_000) {
            await page.clock.runFor(1_000);
            await page.waitForTimeout(30);
          }
        }
        try {
          await page.goto(`${ORIGIN}/checkout/orders/${order.orderId}`);
          await eventually(async () => await page.isVisible('#countdown'), 10_000, 100);
          api = 'down';
          await page.click('#pay-button');
          await eventually(
            async () => (await page.getAttribute('#state', 'data-state')) === 'awaiting_payment',
            10_000,
            100,
          );
          const awaited = async () => {
            expect(await page.getAttribute('#state', 'data-state')).toBe('awaiting_payment');
            expect(await page.textContent('#explain')).toMatch(/Aguardando/);
            expect(await page.isHidden('#pay')).toBe(true);
            expect(await page.isDisabled('#pay-button')).toBe(true);
            expect(await page.isHidden('#giveup')).toBe(true);
            expect(await page.isHidden('#countdown')).toBe(true);
          };
          await awaited();
          // The outage lasts: the page keeps saying it, and reconnects.
          await run(20_000);
          await awaited();
          expect(await page.isVisible('#reconnecting')).toBe(true);
          expect(payments).toBe(1);
          expect(await accessibilityProblems(page)).toEqual([]);
          await page.screenshot({
            path: path.join(ARTIFACTS, `pt-BR-phone-order-paid-offline-${outage}.png`),
            fullPage: true,
          });
          // Back: the order as read is what the page says.
          api = 'up';
          answer = confirmed as OrderView;
          await run(16_000);
          expect(await page.getAttribute('#state', 'data-state')).toBe('confirmed');
          expect(await page.isHidden('#reconnecting')).toBe(true);
        } finally {
          await page.close();
        }
      }, 90_000);
    }
  });

  describe('as the hold runs out', () => {
    for (const [locale, oneMinute, halfMinute, backToLine] of [
      ['pt-BR', /menos de 1 minuto/, /menos de 30 segundos/, 'Voltar para a sala de espera'],
      ['en', /less than a minute/, /less than 30 seconds/, 'Back to the waiting room'],
    ] as const) {
      it(`says to screen readers, politely and once each, that a minute and then 30 seconds are left, and at the end takes the focus to the way back (${locale})`, async () => {
        const ORIGIN = 'http://premiere.test';
        const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, locale });
        const start = Date.parse('2027-01-10T21:00:00.000Z');
        await page.clock.install({ time: new Date(start) });
        const pending = {
          ...order,
          state: 'pending_payment',
          holdExpiresAt: new Date(start + 120_000).toISOString(),
        } as OrderView;
        const expired = { ...order, state: 'expired', holdExpiresAt: pending.holdExpiresAt } as OrderView;
        let answer = pending;
        await page.route(`${ORIGIN}/**`, (route) => {
          const url = new URL(route.request().url());
          if (url.pathname === `/checkout/api/orders/${order.orderId}`) return route.fulfill({ json: answer });
          if (url.pathname === `/checkout/orders/${order.orderId}`)
            return route.fulfill({
              contentType: 'text/html; charset=utf-8',
              body: orderPage(i18n(locale), order.orderId, pending),
            });
          return route.fulfill({ status: 404, body: '' });
        });
        async function run(ms: number) {
          for (let t = 0; t < ms; t += 1_000) {
            await page.clock.runFor(1_000);
            await page.waitForTimeout(20);
          }
        }
        /** What the page's polite live regions say (not the status's words), each time they change. */
        const said = () => page.evaluate(() => (window as unknown as { said: string[] }).said);
        try {
          await page.goto(`${ORIGIN}/checkout/orders/${order.orderId}`);
          await eventually(async () => await page.isVisible('#countdown'), 10_000, 100);
          await page.evaluate(() => {
            const w = window as unknown as { said: string[] };
            w.said = [];
            const status = document.getElementById('status')!;
            for (const region of Array.from(document.querySelectorAll('[aria-live="polite"]'))) {
              if (status.contains(region)) continue;
              new MutationObserver(() => {
                if (region.textContent?.trim()) w.said.push(region.textContent.trim());
              }).observe(region, { subtree: true, childList: true, characterData: true });
            }
          });
          await page.focus('#token');
          await run(55_000); // 65 s left
          expect(await said()).toEqual([]);
          await run(10_000); // 55 s left
          expect(await said()).toHaveLength(1);
          expect((await said())[0]).toMatch(oneMinute);
          expect(await accessibilityProblems(page)).toEqual([]);
          await run(20_000); // 35 s left: nothing more
          expect(await said()).toHaveLength(1);
          await run(10_000); // 25 s left
          expect(await said()).toHaveLength(2);
          expect((await said())[1]).toMatch(halfMinute);
          await run(10_000); // 15 s: still only those two
          expect(await said()).toHaveLength(2);
          expect(await page.evaluate(() => document.activeElement?.id)).toBe('token');
          // The end: the server says the hold ran out; the focus goes to the way back, not to the page's body.
          answer = expired;
          await run(17_000);
          expect(await page.getAttribute('#state', 'data-state')).toBe('expired');
          expect(await page.evaluate(() => document.activeElement?.id)).toBe('again');
          expect(await page.textContent('#again')).toBe(backToLine);
          expect(await said()).toHaveLength(2);
          expect(await accessibilityProblems(page)).toEqual([]);
          await page.screenshot({
            path: path.join(ARTIFACTS, `${locale}-desktop-order-expired-focus.png`),
            fullPage: true,
          });
        } finally {
          await page.close();
        }
      }, 90_000);
    }
  });
});

const ticket: Ticket = {
  code: 'K7M2P9QX4R',
  orderId: order.orderId,
  showId: 'estrela-1',
  movie: 'Estrela Cadente',
  startsAt: '2027-01-10T23:00:00.000Z',
  localStartsAt: '2027-01-10 20:00',
  timeZone: 'America/Sao_Paulo',
  cinema: { name: 'Cine Paulista', address: 'Av. Paulista 900', city: 'São Paulo' },
  room: { name: 'Sala 3', roomType: 'vip' },
  seat: 'C7',
  ticketType: 'half',
  extras: null,
  accessibility: null,
};

describe('the ticket page', () => {
  const pt = ticketPage(i18n('pt-BR'), ticket);
  it('names the show as the order does, prints cleanly and leads back to the order', () => {
    expect(pt).toContain('<h1 class="show-title">Estrela Cadente</h1>');
    expect(pt).toContain(
      'Cine Paulista, São Paulo · VIP · <time datetime="2027-01-10T23:00:00.000Z">dom., 10 de jan., 20:00</time>',
    );
    expect(pt).toContain(
      `<a class="button secondary no-print" href="/checkout/orders/${order.orderId}">Voltar para o seu pedido</a>`,
    );
    expect(pt).toMatch(/@media print\{[^]*header[^]*display:none/);
    expect(pt).toContain('Imprimir');
  });

  it('says when the show is as plainly as the seat, what a half-price ticket needs at the door, and what an accessible seat is for', () => {
    expect(pt).toContain('<dt>Sessão</dt><dd>dom., 10 de jan., 20:00</dd>');
    expect(pt).toContain('Meia-entrada: leve o documento');
    expect(pt).not.toContain('Espaço para cadeirante');
    const space = ticketPage(i18n('en'), { ...ticket, ticketType: 'full', accessibility: 'wheelchair' });
    expect(space).toContain('<strong>Wheelchair space</strong>');
    expect(space).not.toContain('bring the document');
  });
});
