import path from 'node:path';
import type { Browser, Page, Route } from 'playwright-core';
import { i18n } from '@premiere/web';
import { accessibilityProblems, canRunBrowser, launchBrowser } from '@premiere/testing/browser';
import { seatSelectionPage } from '../src/pages';

/**
 * The seat map of the widest room there may be (12 rows of 30, an aisle in the middle) in a real
 * browser, its page and seat map API answered here: on a phone every seat stays a 44 px touch
 * target and the room scrolls sideways inside its card (the page never wider than the phone), the
 * middle of the room shown first; on a desktop seats are smaller (32 px) but the same map.
 * (The purchase through the stack, with the demo's small rooms: local-stack/test/purchase.test.ts.)
 */
const ARTIFACTS = path.resolve(__dirname, '../../../test-artifacts/purchase');
const ORIGIN = 'http://premiere.test';
const SHOW = 'wide-room';

const ROWS = 'ABCDEFGHIJKL'.split('');
const seatMap = {
  showId: SHOW,
  roomType: 'imax',
  maxSeatsPerVisit: 6,
  maxSeatsPerOrder: 6,
  rows: ROWS.map((row, r) => ({
    row,
    seats: Array.from({ length: 30 }, (_, n) => ({
      seat: `${row}${n + 1}`,
      number: n + 1,
      col: n + 1 + (n >= 15 ? 1 : 0),
      status: (r * 30 + n) % 7 === 0 ? 'taken' : (r * 30 + n) % 11 === 0 ? 'held' : 'free',
    })),
  })),
};
const html = seatSelectionPage(i18n('pt-BR'), {
  show: {
    showId: SHOW,
    title: 'Estrela Cadente',
    cinemaName: 'Cine Copacabana',
    city: 'Rio de Janeiro',
    roomType: 'imax',
    startsAt: Date.parse('2027-01-10T23:00:00Z'),
    timeZone: 'America/Sao_Paulo',
  },
  currency: 'BRL',
  prices: { full: 4800, half: 2400 },
  extras: [{ id: 'pipoca', name: 'Pipoca grande', priceCents: 2450 }],
  maxSeats: 6,
});

const browserTest = canRunBrowser ? describe : describe.skip;
browserTest('the seat map of a room of 30 columns in a real browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser(ARTIFACTS);
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** The page, its map read answered by `seats` (the wide room as it is, if not given); with `clock`, its timers run only when the test says. */
  async function open(
    options: Parameters<Browser['newPage']>[0],
    seats?: (route: Route) => unknown,
    clock = false,
  ): Promise<Page> {
    const page = await browser.newPage(options);
    if (clock) await page.clock.install();
    await page.route(`${ORIGIN}/**`, (route) => {
      const url = new URL(route.request().url());
      if (url.pathname === `/checkout/api/shows/${SHOW}/seats`)
        return seats ? seats(route) : route.fulfill({ json: seatMap });
      if (url.pathname === `/checkout/${SHOW}`)
        return route.fulfill({ contentType: 'text/html; charset=utf-8', body: html });
      return route.fulfill({ status: 404, body: '' });
    });
    await page.goto(`${ORIGIN}/checkout/${SHOW}`);
    await page.waitForSelector('.seat.free');
    return page;
  }
  const smallestSeat = (page: Page) =>
    page
      .locator('.seat')
      .evaluateAll((seats) =>
        Math.min(...seats.map((s) => s.getBoundingClientRect()).map((r) => Math.min(r.width, r.height))),
      );

  it('on a phone: 44 px seats, the room scrolling sideways in its card from its middle, the page no wider than the phone', async () => {
    const page = await open({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'pt-BR' });
    try {
      expect(await smallestSeat(page)).toBeGreaterThanOrEqual(44);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      const scroller = await page
        .locator('.seatmap-scroll')
        .evaluate((s) => ({ width: s.scrollWidth, visible: s.clientWidth, left: s.scrollLeft }));
      expect(scroller.width).toBeGreaterThan(30 * 44);
      expect(scroller.left).toBeGreaterThan(0); // the middle first
      expect(await page.isVisible('#scroll-hint')).toBe(true);
      // Both row labels are there; the left one in a column of its own at the card's edge, outside what scrolls.
      expect(await page.locator('.row').first().locator('.label').allTextContents()).toEqual(['A']);
      expect(await page.locator('.rowlabels .label').allTextContents()).toEqual(ROWS);
      const label = await page
        .locator('.rowlabels .label')
        .first()
        .evaluate((l) => l.getBoundingClientRect().left);
      expect(label).toBeGreaterThanOrEqual(0);
      await page.screenshot({ path: path.join(ARTIFACTS, 'pt-BR-phone-wide-room.png'), fullPage: true });
      expect(await accessibilityProblems(page)).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('on a desktop: 32 px seats, and every free seat reachable with the arrow keys', async () => {
    const page = await open({ viewport: { width: 1280, height: 800 }, locale: 'pt-BR' });
    try {
      const size = await smallestSeat(page);
      expect(size).toBeGreaterThanOrEqual(32);
      expect(size).toBeLessThan(44);
      // From the first free seat, right along the row to its end (across the aisle), then down.
      await page.locator('.seat.free').first().focus();
      const at = () => page.evaluate(() => document.activeElement?.getAttribute('data-seat'));
      expect(await at()).toBe('A2');
      for (let n = 0; n < 40; n++) await page.keyboard.press('ArrowRight');
      expect(await at()).toBe('A30');
      await page.keyboard.press('ArrowDown');
      expect(await at()).toMatch(/^B(29|30)$/);
      await page.keyboard.press('Enter');
      expect(await page.locator('.seat[aria-pressed="true"]').count()).toBe(1);
      // The running total: the seat, then two extras on top, line by line.
      expect(await page.textContent('#total')).toBe('R$\u00a048,00');
      await page.fill('[data-extra="pipoca"]', '2');
      expect(await page.textContent('#total')).toBe('R$\u00a097,00');
      expect((await page.locator('#lines li').allTextContents()).map((t) => t.replace(/\s+/g, ' '))).toEqual([
        '1 × InteiraR$ 48,00',
        '2 × Pipoca grandeR$ 49,00',
      ]);
      await page.screenshot({ path: path.join(ARTIFACTS, 'pt-BR-desktop-wide-room.png'), fullPage: true });
      expect(await accessibilityProblems(page)).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);

  /** The wide room with `changes` (seat → status) on top. */
  const mapWith = (changes: Record<string, string>) => ({
    ...seatMap,
    rows: seatMap.rows.map((row) => ({
      ...row,
      seats: row.seats.map((s) => ({ ...s, status: changes[s.seat] ?? s.status })),
    })),
  });
  const focusedId = (page: Page) =>
    page.evaluate(() => {
      const a = document.activeElement;
      return a === document.body
        ? 'body'
        : a?.id || a?.getAttribute('data-seat') || a?.getAttribute('aria-label') || a?.tagName;
    });

  it('keeps the focus where the buyer is when the map refreshes: on a ticket type, on Remove, on a seat someone else just took', async () => {
    let now = seatMap;
    const page = await open(
      { viewport: { width: 1280, height: 800 }, locale: 'pt-BR' },
      (route) => route.fulfill({ json: now }),
      true,
    );
    /** The map read again (the refresh's timer run), with `changes`; back when the page shows `seat` as `status`. */
    async function refreshed(changes: Record<string, string>, seat: string, status: string) {
      now = mapWith(changes);
      await page.clock.runFor(13_000);
      await page.locator(`.seat.${status}[data-seat="${seat}"]`).waitFor();
    }
    try {
      await page.click('[data-seat="A2"]');
      await page.click('[data-seat="A3"]');
      // On a seat's ticket type (a phone's picker would be open): the refresh leaves it be.
      await page.focus('#type-A3');
      await refreshed({ B5: 'held' }, 'B5', 'held');
      expect(await focusedId(page)).toBe('type-A3');
      await page.focus('[aria-label="Remover o assento A2"]');
      await refreshed({ B5: 'held', B6: 'held' }, 'B6', 'held');
      expect(await focusedId(page)).toBe('remove-A2');
      // On a free seat that someone else then holds: still there, said as held, and pressing it does nothing.
      await page.focus('[data-seat="C5"]');
      await refreshed({ B5: 'held', B6: 'held', C5: 'held' }, 'C5', 'held');
      expect(await focusedId(page)).toBe('C5');
      expect(await page.getAttribute('[data-seat="C5"]', 'aria-disabled')).toBe('true');
      expect(await page.getAttribute('[data-seat="C5"]', 'aria-label')).toMatch(/reservado por outra pessoa$/);
      await page.keyboard.press('Enter');
      expect(await page.locator('#chosen select').count()).toBe(2);
      expect(await page.textContent('#total')).toBe('R$\u00a096,00');
      // The arrow keys still go from there to the free seats beside it.
      await page.keyboard.press('ArrowRight');
      expect(await focusedId(page)).toBe('C6');
      // On the ticket type of a chosen seat someone else then takes: its line goes, the focus to the seat.
      await page.focus('#type-A2');
      await refreshed({ B5: 'held', B6: 'held', C5: 'held', A2: 'held' }, 'A2', 'held');
      expect(await focusedId(page)).toBe('A2');
      expect(await page.locator('#chosen select').count()).toBe(1);
      await page.focus('#type-A3');
      expect(await accessibilityProblems(page)).toEqual([]);
      await page.screenshot({ path: path.join(ARTIFACTS, 'pt-BR-desktop-wide-room-refreshed.png'), fullPage: true });
    } finally {
      await page.close();
    }
  }, 60_000);

  it('is one Tab stop: Tab enters the map on one seat and leaves it with the next press; the stop follows the arrow keys and the choice, through the refresh', async () => {
    let now = seatMap;
    const page = await open(
      { viewport: { width: 1280, height: 800 }, locale: 'pt-BR' },
      (route) => route.fulfill({ json: now }),
      true,
    );
    const inMap = () => page.evaluate(() => !!document.activeElement?.closest('#map'));
    const stops = () =>
      page
        .locator('#map button')
        .evaluateAll((seats) =>
          seats.filter((s) => (s as HTMLElement).tabIndex >= 0).map((s) => s.getAttribute('data-seat')),
        );
    /** From the header's last link, Tab forward: where each press lands, until `until` (an id or seat) has the focus. */
    async function tabsTo(until: string) {
      await page.focus('header a[hreflang]');
      const landed: string[] = [];
      for (let n = 0; n < 12 && landed[landed.length - 1] !== until; n++) {
        await page.keyboard.press('Tab');
        landed.push(String(await focusedId(page)));
      }
      return landed;
    }
    try {
      // 360 seats, one stop: the first free seat.
      expect(await stops()).toEqual(['A2']);
      expect(await tabsTo('A2')).toEqual(['A2']);
      await page.keyboard.press('Tab');
      expect(await inMap()).toBe(false);
      await page.keyboard.press('Shift+Tab');
      expect(await focusedId(page)).toBe('A2');
      // The arrow keys move the stop with the focus; the seat chosen keeps it.
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('ArrowRight');
      expect(await focusedId(page)).toBe('A4');
      await page.keyboard.press('Enter');
      expect(await stops()).toEqual(['A4']);
      // Past the map in one press, then only what is left to fill in before Hold.
      await page.keyboard.press('Tab');
      expect(await focusedId(page)).toBe('type-A4');
      expect(await tabsTo('hold')).toEqual(['A4', 'type-A4', 'remove-A4', 'INPUT', 'hold']);
      // The refresh keeps it where it was.
      now = mapWith({ B5: 'held' });
      await page.clock.runFor(13_000);
      await page.locator('.seat.held[data-seat="B5"]').waitFor();
      expect(await stops()).toEqual(['A4']);
      expect(await tabsTo('A4')).toEqual(['A4']);
      // The seat that had it taken by someone else while the buyer is elsewhere: the stop goes to a free seat.
      await page.focus('#hold');
      now = mapWith({ B5: 'held', A4: 'held' });
      await page.clock.runFor(13_000);
      await page.locator('.seat.held[data-seat="A4"]').waitFor();
      expect(await stops()).toEqual(['A2']);
      expect(await accessibilityProblems(page)).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);

  const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'pt-BR' };
  /** Where an element is on the screen now. */
  const box = (page: Page, selector: string) =>
    page.locator(selector).evaluate((e) => {
      const r = e.getBoundingClientRect();
      return { top: r.top, bottom: r.bottom, left: r.left, right: r.right };
    });

  it('on a phone: once a seat is chosen, Hold and the running total are on the screen without scrolling to them', async () => {
    const page = await open(PHONE);
    try {
      await page.locator('.seat.free').nth(3).tap();
      expect(await page.locator('.seat[aria-pressed="true"]').count()).toBe(1);
      for (const selector of ['#hold', '#total']) {
        const at = await box(page, selector);
        expect(at.top).toBeGreaterThanOrEqual(0);
        expect(at.bottom).toBeLessThanOrEqual(844);
      }
      expect(await page.textContent('#total')).toBe('R$\u00a048,00');
      await page.screenshot({ path: path.join(ARTIFACTS, 'pt-BR-phone-wide-room-hold-bar.png') });
      expect(await accessibilityProblems(page)).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('on a phone: no seat slides under the row letters as the room scrolls sideways, and the screen’s label stays in sight', async () => {
    const page = await open(PHONE);
    try {
      const scroller = page.locator('.seatmap-scroll');
      for (const left of [0, 137, 100_000]) {
        await scroller.evaluate((s, x) => {
          s.scrollLeft = x;
        }, left);
        // The row letters at the map's left: no seat shows under them (what is there is the letter, or nothing of a seat).
        const covered = await page.evaluate(() => {
          const letter = [...document.querySelectorAll('.rowlabels .label, .row .label')].find(
            (l) => l.textContent === 'A' && l.getBoundingClientRect().left < 60,
          )!;
          const r = letter.getBoundingClientRect();
          const seats = [...document.querySelectorAll('.row')][0].querySelectorAll('.seat');
          const view = document.querySelector('.seatmap-scroll')!.getBoundingClientRect();
          // A seat's visible part (clipped by the scroller) that meets the letter's box.
          return [...seats]
            .filter((s) => {
              const b = s.getBoundingClientRect();
              const from = Math.max(b.left, view.left),
                to = Math.min(b.right, view.right);
              return from < to && from < r.right && to > r.left;
            })
            .map((s) => s.getAttribute('data-seat'));
        });
        expect({ left, covered }).toEqual({ left, covered: [] });
      }
      for (const left of [0, 100_000]) {
        await scroller.evaluate((s, x) => {
          s.scrollLeft = x;
        }, left);
        const screen = await box(page, '.screen span');
        const view = await box(page, '.seatmap-scroll');
        expect(screen.left).toBeGreaterThanOrEqual(view.left);
        expect(screen.right).toBeLessThanOrEqual(view.right);
      }
      await page.screenshot({ path: path.join(ARTIFACTS, 'pt-BR-phone-wide-room-scrolled-end.png') });
    } finally {
      await page.close();
    }
  }, 60_000);

  it('keeps Hold focusable and said when no seat is chosen, and says why it does nothing yet', async () => {
    const page = await open({ viewport: { width: 1280, height: 800 }, locale: 'pt-BR' });
    let posted = 0;
    await page.route(`${ORIGIN}/checkout/api/shows/${SHOW}/orders`, (route) => {
      posted++;
      return route.fulfill({ status: 500, json: {} });
    });
    try {
      const hold = page.locator('#hold');
      expect(await hold.getAttribute('disabled')).toBeNull();
      expect(await hold.getAttribute('aria-disabled')).toBe('true');
      const why = await hold.getAttribute('aria-describedby');
      expect(why).toBeTruthy();
      expect(await page.textContent(`#${why}`)).toContain('Escolha ao menos um assento');
      await hold.focus();
      expect(await focusedId(page)).toBe('hold');
      await page.keyboard.press('Enter');
      expect(await page.textContent('#message')).toContain('Escolha ao menos um assento');
      expect(posted).toBe(0);
      // A seat chosen: Hold is on.
      await page.click('[data-seat="A2"]');
      expect(await hold.getAttribute('aria-disabled')).toBe('false');
      expect(await accessibilityProblems(page)).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('is a grid to assistive technology (rows, cells with their indexes), Home and End go to the row’s first and last free seats', async () => {
    const page = await open({ viewport: { width: 1280, height: 800 }, locale: 'pt-BR' });
    try {
      const grid = page.locator('#map');
      expect(await grid.getAttribute('role')).toBe('grid');
      expect(await grid.getAttribute('aria-rowcount')).toBe('12');
      const rows = page.locator('#map [role="row"]');
      expect(await rows.count()).toBe(12);
      expect(await rows.nth(1).getAttribute('aria-rowindex')).toBe('2');
      const cell = page.locator('[role="gridcell"]:has([data-seat="B20"])');
      expect(await cell.getAttribute('aria-colindex')).toBe('21'); // after the aisle
      const at = () => page.evaluate(() => document.activeElement?.getAttribute('data-seat'));
      await page.locator('[data-seat="B10"]').focus();
      await page.keyboard.press('End');
      expect(await at()).toBe('B30');
      await page.keyboard.press('Home');
      expect(await at()).toBe('B1');
      await page.locator('[data-seat="A10"]').focus();
      await page.keyboard.press('Home');
      expect(await at()).toBe('A2'); // A1 is sold
      expect(await accessibilityProblems(page)).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('does not let a map read from before Hold undo the hold: the buyer’s own seats are not "just held by someone else"', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let reads = 0;
    // The second read (the refresh) answers only once Hold is pressed, with the buyer's seats held (theirs, by then); the others at once.
    const page = await open(
      { viewport: { width: 1280, height: 800 }, locale: 'pt-BR' },
      async (route) => {
        if (++reads !== 2) return route.fulfill({ json: seatMap });
        await released;
        return route.fulfill({ json: mapWith({ A2: 'held', A3: 'held' }) });
      },
      true,
    );
    let answerHold!: () => void;
    const holdAnswered = new Promise<void>((resolve) => (answerHold = resolve));
    await page.route(`${ORIGIN}/checkout/api/shows/${SHOW}/orders`, async (route) => {
      await holdAnswered;
      await route.fulfill({ status: 409, json: { reason: 'busy', statusCode: 409 } });
    });
    try {
      await page.click('[data-seat="A2"]');
      await page.click('[data-seat="A3"]');
      await page.clock.runFor(13_000); // the refresh's read starts, and waits
      await page.click('#hold');
      release();
      await page.waitForTimeout(500);
      expect(await page.textContent('#message')).not.toMatch(/reservad[oa]s? por outr/);
      expect(await page.locator('#chosen select').count()).toBe(2);
      // The hold refused (busy): the choice is still the buyer's, read afresh.
      answerHold();
      await page.waitForFunction(() => !(document.getElementById('message')?.textContent ?? '').includes('Reservando'));
      expect(await page.locator('#chosen select').count()).toBe(2);
    } finally {
      await page.close();
    }
  }, 60_000);
});
