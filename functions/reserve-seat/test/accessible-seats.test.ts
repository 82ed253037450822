import path from 'node:path';
import pg from 'pg';
import type { Browser } from 'playwright-core';
import { i18n } from '@premiere/web';
import { accessibilityProblems, canRunBrowser, launchBrowser } from '@premiere/testing/browser';
import { addTestShow, PREMIERE_SHOW_ID } from '@premiere/testing';
import { seatSelectionPage } from '../src/pages';
import type { SeatMap } from '../src/seat-map';
import { reserveSeatWorld } from './world';

/**
 * Accessible seats (issue 16): a room's wheelchair spaces, their companions' seats and the seats
 * for reduced mobility come from the catalog, through the seat map API, to the map, which marks
 * them by more than colour, names them to a screen reader, and lists in its legend the kinds the
 * room has (none in a room without them).
 */
const ARTIFACTS = path.resolve(__dirname, '../../../test-artifacts/purchase');
const world = reserveSeatWorld();
let url: string;
beforeAll(async () => {
  ({ url } = await world.start());
});

/** The seat map API's answer to an admitted visitor of `showId`. */
async function seatMapOf(showId: string): Promise<SeatMap> {
  const visitor = await world.admit(url, showId, 'accessible');
  const res = await fetch(`${url}/checkout/api/shows/${showId}/seats`, { headers: visitor.headers });
  expect(res.status).toBe(200);
  return res.json();
}
const marked = (map: SeatMap) =>
  Object.fromEntries(
    map.rows.flatMap((r) => r.seats.filter((s) => s.accessibility).map((s) => [s.seat, s.accessibility])),
  );

describe('accessible seats', () => {
  it('are in every demo room: wheelchair spaces (2 %, at least one) each with a companion seat beside it, and seats for reduced mobility', async () => {
    const client = new pg.Client({ connectionString: world.db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{
        room_id: string;
        seat: string;
        row_label: string;
        col: number;
        accessibility: string | null;
      }>(
        'SELECT room_id, seat, row_label, col, accessibility FROM render_catalog.seats ORDER BY room_id, row_label, col',
      );
      const rooms = [...new Set(rows.map((r) => r.room_id))];
      expect(rooms.length).toBeGreaterThan(3);
      for (const room of rooms) {
        const seats = rows.filter((r) => r.room_id === room);
        const of = (kind: string) => seats.filter((s) => s.accessibility === kind);
        expect({ room, wheelchair: of('wheelchair').length >= Math.max(1, Math.ceil(seats.length * 0.02)) }).toEqual({
          room,
          wheelchair: true,
        });
        expect({ room, reduced: of('reduced_mobility').length >= 1 }).toEqual({ room, reduced: true });
        expect({ room, companions: of('companion').length }).toEqual({ room, companions: of('wheelchair').length });
        for (const space of of('wheelchair')) {
          const beside = of('companion').filter(
            (c) => c.row_label === space.row_label && Math.abs(c.col - space.col) === 1,
          );
          expect({ space: `${room} ${space.seat}`, beside: beside.length >= 1 }).toEqual({
            space: `${room} ${space.seat}`,
            beside: true,
          });
        }
      }
    } finally {
      await client.end();
    }
  });

  it('reach the seat map API as the catalog says them, and a room without any has none', async () => {
    // The premiere's room: 4 rows of 6 (an aisle after 3): one space in the back row, its companion
    // beside it, one seat for reduced mobility on the aisle of the row in front.
    expect(marked(await seatMapOf(PREMIERE_SHOW_ID))).toEqual({
      D1: 'wheelchair',
      D2: 'companion',
      C3: 'reduced_mobility',
    });
    const plain = await addTestShow(world.db.url, { seats: 12 });
    const map = await seatMapOf(plain);
    expect(map.rows.flatMap((r) => r.seats).every((s) => !('accessibility' in s))).toBe(true);
  });

  const browserTest = canRunBrowser ? describe : describe.skip;
  browserTest('on the seat map, in a real browser', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchBrowser(ARTIFACTS);
    });
    afterAll(async () => {
      await browser?.close();
    });

    /** The seat map page of the premiere's room with `map` as the API's answer (the page itself as reserve-seat renders it). */
    async function open(map: SeatMap, language: 'pt-BR' | 'en', phone = false) {
      const html = seatSelectionPage(i18n(language), {
        show: {
          showId: map.showId,
          title: 'The Last Starfall',
          cinemaName: 'Cine Paulista',
          city: 'São Paulo',
          roomType: 'vip',
          startsAt: Date.parse('2027-01-10T23:00:00Z'),
          timeZone: 'America/Sao_Paulo',
        },
        currency: 'BRL',
        prices: { full: 7000, half: 3500 },
        extras: [],
        maxSeats: 4,
      });
      const page = await browser.newPage(
        phone
          ? { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: language }
          : { viewport: { width: 1280, height: 800 }, locale: language },
      );
      await page.route('http://premiere.test/**', (route) => {
        const pathname = new URL(route.request().url()).pathname;
        if (pathname === `/checkout/api/shows/${map.showId}/seats`)
          return route.fulfill({ json: { ...map, maxSeatsPerVisit: 4, maxSeatsPerOrder: 4 } });
        if (pathname === `/checkout/${map.showId}`)
          return route.fulfill({ contentType: 'text/html; charset=utf-8', body: html });
        return route.fulfill({ status: 404, body: '' });
      });
      await page.goto(`http://premiere.test/checkout/${map.showId}`);
      await page.waitForSelector('.seat.free');
      return page;
    }

    it('marks them by a sign or a bar, names them, lists their kinds in the legend, and says what they are for once chosen', async () => {
      const map = await seatMapOf(PREMIERE_SHOW_ID);
      for (const [language, words] of [
        [
          'pt-BR',
          {
            wheelchair: 'Espaço para cadeirante',
            companion: 'Acompanhante de cadeirante',
            reduced: 'Mobilidade reduzida',
          },
        ],
        [
          'en',
          { wheelchair: 'Wheelchair space', companion: 'Wheelchair user’s companion', reduced: 'Reduced mobility' },
        ],
      ] as const) {
        const page = await open(map, language, language === 'pt-BR');
        try {
          expect(await page.locator('.legend li:visible').allTextContents()).toEqual(
            expect.arrayContaining([`♿${words.wheelchair}`, words.companion, words.reduced]),
          );
          expect(await page.isVisible('#access-note')).toBe(true);
          const d1 = page.locator('[data-seat="D1"]');
          expect(await d1.textContent()).toBe('♿');
          expect(await d1.getAttribute('aria-label')).toContain(words.wheelchair);
          expect(await page.getAttribute('[data-seat="D2"]', 'aria-label')).toContain(words.companion);
          expect(await page.getAttribute('[data-seat="C3"]', 'aria-label')).toContain(words.reduced);
          expect(await page.getAttribute('[data-seat="A1"]', 'aria-label')).not.toMatch(
            new RegExp(`${words.wheelchair}|${words.companion}|${words.reduced}`),
          );
          // By more than colour: the companion's and the reduced mobility seat's bars differ in pattern.
          const bar = (seat: string) =>
            page.locator(`[data-seat="${seat}"]`).evaluate((b) => getComputedStyle(b, '::before').backgroundImage);
          expect(await bar('D2')).toMatch(/repeating-linear-gradient/);
          expect(await bar('C3')).toBe('none');
          await d1.click();
          expect(await page.locator('#chosen li').first().textContent()).toContain(words.wheelchair);
          await page.screenshot({
            path: path.join(
              ARTIFACTS,
              `${language}-${language === 'pt-BR' ? 'phone' : 'desktop'}-accessible-seats.png`,
            ),
            fullPage: true,
          });
          expect(await accessibilityProblems(page)).toEqual([]);
        } finally {
          await page.close();
        }
      }
    }, 60_000);

    it('names no accessible kind in the legend of a room without them', async () => {
      const page = await open(await seatMapOf(await addTestShow(world.db.url, { seats: 12 })), 'pt-BR');
      try {
        expect(await page.locator('[data-access]:visible').count()).toBe(0);
        expect(await page.isVisible('#access-note')).toBe(false);
        expect(await page.locator('.seat.free').count()).toBe(12);
      } finally {
        await page.close();
      }
    }, 60_000);
  });
});
