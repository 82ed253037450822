import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { i18n, type Locale } from '@premiere/web';
import { accessibilityProblems, canRunBrowser, launchBrowser } from '@premiere/testing/browser';
import { eventually, NO_JOIN_LIMITS } from '@premiere/testing';
import { freePort } from '../src/backing';
import { startStack, whenUp } from './run-stack';

/**
 * A sold-out show in a real browser, and the catalog's pages, on one local stack: the premiere
 * (24 seats, no overbooking) sold out honestly, by 24 visitors taking its 24 waiting-room tokens
 * through the API (admissions and absences last an hour here, so none comes back during the
 * test). A visitor then opening its waiting room, with and without JavaScript, is told it is sold
 * out and offered the other shows of the movie, each by cinema, city, room and time in the
 * cinema's zone (the browser is in Tokyo, so the browser's zone would show), one tap from its
 * waiting room. axe-core finds no serious or critical problem on any page; screenshots land in
 * test-artifacts/sold-out and test-artifacts/catalog.
 */
const SOLD_OUT_ARTIFACTS = path.resolve(__dirname, '../../test-artifacts/sold-out');
const CATALOG_ARTIFACTS = path.resolve(__dirname, '../../test-artifacts/catalog');
const PREMIERE = 'last-starfall-premiere';
const ROOM_WORDS = { regular: 'room.regular', imax: 'room.imax', vip: 'room.vip' } as const;
const SEATS = 24;
const ADMIN_TOKEN = 'sold-out-test-admin-token-0123456789';
const LOCALES: Locale[] = ['pt-BR', 'en'];
const DEVICES: Record<string, BrowserContextOptions> = {
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
  desktop: { viewport: { width: 1280, height: 800 } },
};

interface Alternative {
  showId: string;
  cinemaName: string;
  city: string;
  roomType: string;
  startsAt: string;
  timeZone: string;
  url: string;
}

let stack: ReturnType<typeof startStack>;
let stateDir: string;
let edge: string;
/** The alternatives the API offers a joiner refused for sold out. */
let offered: Alternative[];

beforeAll(async () => {
  stateDir = mkdtempSync(path.join(os.tmpdir(), 'premiere-sold-out-'));
  stack = startStack(stateDir, await freePort(), {
    OVERBOOKING_DEFAULT: '0',
    ADMISSION_TTL_SECONDS: '3600',
    GONE_AFTER_SECONDS: '3600',
    ...NO_JOIN_LIMITS,
    // For selling a 40-seat room in two visits (sold out while someone waits), told within seconds.
    ADMIN_TOKEN,
    MAX_SEATS_PER_VISIT: '20',
    ADDRESS_HELD_SEATS_SHARE: '0',
    STATUS_POLL_MAX_SECONDS: '3',
  });
  edge = (await whenUp(stack)).edge;
  for (let i = 0; i < SEATS; i++) {
    const joined = await fetch(`${edge}/waiting-room/api/shows/${PREMIERE}/join`, {
      method: 'POST',
      headers: { 'x-session-id': `sold-out-session-${String(i).padStart(6, '0')}` },
    });
    expect(joined.status).toBe(201);
  }
  const refused = await fetch(`${edge}/waiting-room/api/shows/${PREMIERE}/join`, {
    method: 'POST',
    headers: { 'x-session-id': 'sold-out-session-latecomer' },
  });
  expect(refused.status).toBe(410);
  const body = await refused.json();
  expect(body.error).toBe('sold_out');
  offered = body.alternatives;
  expect(offered.length).toBeGreaterThan(0);
}, 120_000);
afterAll(async () => {
  stack?.child.kill('SIGINT');
  await stack?.exited;
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
}, 30_000);

/** A show's day and time as each language writes it: "09:00" in Portuguese, "9:00 PM" (no leading zero) in English. */
const dateTime = (locale: Locale): Intl.DateTimeFormatOptions => ({
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  hour: locale === 'en' ? 'numeric' : '2-digit',
  minute: '2-digit',
});

/** What an alternative must say, in the visitor's language: its cinema, city, room and time on the cinema's clock. */
function expectDescribes(text: string, a: Alternative, locale: Locale) {
  const i = i18n(locale);
  const onCinemaClock = new Intl.DateTimeFormat(locale, { ...dateTime(locale), timeZone: a.timeZone }).format(
    new Date(a.startsAt),
  );
  const onBrowserClock = new Intl.DateTimeFormat(locale, { ...dateTime(locale), timeZone: 'Asia/Tokyo' }).format(
    new Date(a.startsAt),
  );
  expect(text).toContain(a.cinemaName);
  expect(text).toContain(a.city);
  expect(text).toContain(i.t(`room.${a.roomType}` as 'room.regular'));
  expect(text).toContain(onCinemaClock);
  expect(text).not.toContain(onBrowserClock);
}

let buyers = 0;
/** A visitor who joins through the API and is let into seat selection (the zone has room). */
async function admittedBuyer(showId: string) {
  const session = `sold-out-buyer-${String(++buyers).padStart(6, '0')}`;
  const joined = await (
    await fetch(`${edge}/waiting-room/api/shows/${showId}/join`, {
      method: 'POST',
      headers: { 'x-session-id': session },
    })
  ).json();
  const status = await eventually(
    async () => {
      const s = await (
        await fetch(`${edge}/waiting-room/api/shows/${showId}/status`, {
          headers: { authorization: `Bearer ${joined.token}`, 'x-session-id': session },
        })
      ).json();
      return s.state === 'admitted' ? s : null;
    },
    20_000,
    300,
  );
  const zone = await (await fetch(`${edge}${status.enterUrl}`, { headers: { 'x-session-id': session } })).json();
  return {
    headers: { authorization: `Bearer ${zone.zoneToken}`, 'x-session-id': session, 'content-type': 'application/json' },
    zone,
  };
}

/** A buyer holds these seats and pays for them, until the order is confirmed. */
async function buy(buyer: Awaited<ReturnType<typeof admittedBuyer>>, seats: string[]) {
  const held = await fetch(`${edge}${buyer.zone.orders}`, {
    method: 'POST',
    headers: buyer.headers,
    body: JSON.stringify({ seats: seats.map((seat) => ({ seat, ticketType: 'full' })) }),
  });
  expect(held.status).toBe(201);
  const { orderId } = await held.json();
  expect(
    (
      await fetch(`${edge}/checkout/api/orders/${orderId}/payment`, {
        method: 'POST',
        headers: buyer.headers,
        body: JSON.stringify({ paymentToken: 'tok_visa' }),
      })
    ).status,
  ).toBe(202);
  await eventually(
    async () =>
      (await (await fetch(`${edge}/checkout/api/orders/${orderId}`, { headers: buyer.headers })).json()).state ===
      'confirmed',
    30_000,
    300,
  );
}

/**
 * axe-core on a page opened without JavaScript (where no script can be added): the same HTML, at
 * the same size, in a page that runs scripts (the sold-out page has none of its own).
 */
async function problemsWithoutScripts(browser: Browser, page: Page, options: BrowserContextOptions) {
  const context = await browser.newContext(options);
  try {
    const copy = await context.newPage();
    await copy.setContent(await page.content());
    return await accessibilityProblems(copy);
  } finally {
    await context.close();
  }
}

/** The alternatives a page lists: where each leads and what it says. */
const listed = (page: Page, selector: string) =>
  page.$$eval(selector, (links) =>
    links.map((a) => ({ href: a.getAttribute('href'), text: (a.textContent ?? '').replace(/\s+/g, ' ').trim() })),
  );

const browserTest = canRunBrowser ? describe : describe.skip;
browserTest('a sold-out show in a real browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser(SOLD_OUT_ARTIFACTS);
  });
  afterAll(async () => {
    await browser?.close();
  });

  type Listed = { href: string | null; text: string }[];

  /** With JavaScript: the page's script is refused the join and lists the alternatives. */
  async function withScript(locale: Locale, device: string, options: BrowserContextOptions): Promise<Listed> {
    const context = await browser.newContext({ ...options, locale, timezoneId: 'Asia/Tokyo' });
    const page = await context.newPage();
    const shot = (name: string) =>
      page.screenshot({ path: path.join(SOLD_OUT_ARTIFACTS, `${locale}-${device}-${name}.png`), fullPage: true });
    try {
      await page.goto(`${edge}/waiting-room/${PREMIERE}`);
      await page.waitForSelector('#others:not([hidden])');
      expect(await page.textContent('#headline')).toBe(i18n(locale).t('wait.refused.sold_out'));
      const links = await listed(page, '#alternatives a');
      expect(links.map((l) => l.href)).toEqual(offered.map((a) => a.url));
      links.forEach((l, n) => expectDescribes(l.text, offered[n], locale));
      expect(await page.isHidden('#keep-open')).toBe(true); // nothing to keep open for
      expect(await accessibilityProblems(page)).toEqual([]);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
        options.viewport!.width,
      );
      await shot('1-sold-out');
      const first = page.locator('#alternatives a').first();
      if (options.hasTouch) await first.tap();
      else await first.click();
      await page.waitForURL(`**${offered[0].url}`);
      await shot('2-alternative');
      return links;
    } catch (err) {
      await shot('failed').catch(() => undefined);
      throw err;
    } finally {
      await context.close();
    }
  }

  /** Without JavaScript: the join button leads to the sold-out page. */
  async function withoutScript(locale: Locale, device: string, options: BrowserContextOptions): Promise<Listed> {
    const context = await browser.newContext({
      ...options,
      locale,
      timezoneId: 'Asia/Tokyo',
      javaScriptEnabled: false,
    });
    const page = await context.newPage();
    const shot = (name: string) =>
      page.screenshot({ path: path.join(SOLD_OUT_ARTIFACTS, `${locale}-${device}-nojs-${name}.png`), fullPage: true });
    try {
      await page.goto(`${edge}/waiting-room/${PREMIERE}`);
      await page.click('#join button');
      await page.waitForURL(`**/waiting-room/${PREMIERE}/join`);
      expect(await page.textContent('main')).toContain(i18n(locale).t('wait.refused.sold_out'));
      const links = await listed(page, 'main ul a');
      expect(links.map((l) => l.href)).toEqual(offered.map((a) => a.url));
      links.forEach((l, n) => expectDescribes(l.text, offered[n], locale));
      expect(await problemsWithoutScripts(browser, page, options)).toEqual([]);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
        options.viewport!.width,
      );
      await shot('1-sold-out');
      const first = page.locator('main ul a').first();
      if (options.hasTouch) await first.tap();
      else await first.click();
      await page.waitForURL(`**${offered[0].url}`);
      await shot('2-alternative');
      return links;
    } catch (err) {
      await shot('failed').catch(() => undefined);
      throw err;
    } finally {
      await context.close();
    }
  }

  for (const locale of LOCALES) {
    for (const [device, options] of Object.entries(DEVICES)) {
      it(`${locale} on a ${device}, with and without JavaScript: says sold out and lists the same other shows, one tap from their waiting room`, async () => {
        const scripted = await withScript(locale, device, options);
        const plain = await withoutScript(locale, device, options);
        expect(plain).toEqual(scripted);
      }, 90_000);
    }
  }
});

browserTest('the catalog’s pages in a real browser', () => {
  let browser: Browser;
  let day: string;
  beforeAll(async () => {
    browser = await launchBrowser(CATALOG_ARTIFACTS);
    // A day with shows in São Paulo, on the cinema's calendar.
    const movie = await (await fetch(`${edge}/api/movies/harbor-lights`)).json();
    day = movie.shows.find((s: { city: string }) => s.city === 'São Paulo').localStartsAt.slice(0, 10);
  });
  afterAll(async () => {
    await browser?.close();
  });

  const PAGES: [string, () => string, number][] = [
    ['1-home', () => '/', 200],
    ['2-movie', () => '/movies/last-starfall', 200],
    ['3-movie-city-day', () => `/movies/harbor-lights?city=${encodeURIComponent('São Paulo')}&day=${day}`, 200],
    ['4-cinema', () => '/cinemas/paulista', 200],
    ['5-not-found', () => '/no-such-page', 404],
  ];
  for (const locale of LOCALES) {
    for (const [device, options] of Object.entries(DEVICES)) {
      it(`${locale} on a ${device}: every page has no serious accessibility problem and fits the screen`, async () => {
        const context = await browser.newContext({ ...options, locale, timezoneId: 'Asia/Tokyo' });
        const page = await context.newPage();
        let name = 'start';
        try {
          for (const [shotName, pathOf, status] of PAGES) {
            name = shotName;
            const response = await page.goto(`${edge}${pathOf()}`);
            expect(response?.status()).toBe(status);
            expect(await page.getAttribute('html', 'lang')).toBe(locale);
            expect({ page: name, problems: await accessibilityProblems(page) }).toEqual({ page: name, problems: [] });
            expect({ page: name, width: await page.evaluate(() => document.documentElement.scrollWidth) }).toEqual({
              page: name,
              width: options.viewport!.width,
            });
            await page.screenshot({
              path: path.join(CATALOG_ARTIFACTS, `${locale}-${device}-${name}.png`),
              fullPage: true,
            });
          }
          const i = i18n(locale);
          // Links in the site's blue, not the browser's default.
          await page.goto(`${edge}/`);
          expect(
            await page.$$eval(
              'main a',
              (links) => links.filter((a) => getComputedStyle(a).color === 'rgb(0, 0, 238)').length,
            ),
          ).toBe(0);
          // The sold-out premiere says so in words on its movie's page, not only by a line through its time.
          await page.goto(`${edge}/movies/last-starfall`);
          await eventually(async () => (await page.reload(), page.locator('.show.sold_out').count()), 10_000, 500);
          expect(await page.textContent('.show.sold_out')).toContain(i.t('catalog.soldOut'));
          // A cinema's times each say their room, inside the button one taps.
          await page.goto(`${edge}/cinemas/paulista`);
          const rooms = Object.values(ROOM_WORDS).map((key) => i.t(key));
          for (const text of await page.$$eval('main .show', (all) => all.map((a) => a.textContent ?? '')))
            expect(rooms.some((r) => text.includes(r))).toBe(true);
          // A filtered page says what it shows, and leads to every show of the movie.
          await page.goto(`${edge}/movies/harbor-lights?city=${encodeURIComponent('São Paulo')}&day=${day}`);
          expect(await page.textContent('main .filter')).toContain(
            i.t('catalog.showingInOn', { city: 'São Paulo', day: i.date(day) }),
          );
          await page.click('main .filter a');
          await page.waitForURL(`${edge}/movies/harbor-lights`);
          await page.screenshot({
            path: path.join(CATALOG_ARTIFACTS, `${locale}-${device}-6-movie-all-shows.png`),
            fullPage: true,
          });
        } catch (err) {
          await page
            .screenshot({
              path: path.join(CATALOG_ARTIFACTS, `${locale}-${device}-${name}-failed.png`),
              fullPage: true,
            })
            .catch(() => undefined);
          throw err;
        } finally {
          await context.close();
        }
      }, 60_000);
    }
  }
});

browserTest('sold out while waiting, in a real browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser(SOLD_OUT_ARTIFACTS);
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('a visitor in line (admissions paused) is told, within seconds, that the last seats were sold', async () => {
    // A show in a 40-seat room, later than an hour from now.
    const cinema = await (await fetch(`${edge}/api/cinemas/pinheiros`)).json();
    const show = cinema.shows.find(
      (s: { roomType: string; startsAt: string; salesOpenAt: string | null }) =>
        s.roomType === 'vip' && !s.salesOpenAt && Date.parse(s.startsAt) > Date.now() + 3_600_000,
    );
    const first = await admittedBuyer(show.id);
    const second = await admittedBuyer(show.id);
    const map = await (await fetch(`${edge}${first.zone.seatMap}`, { headers: first.headers })).json();
    const seats: string[] = map.rows.flatMap((r: { seats: { seat: string }[] }) => r.seats.map((x) => x.seat));
    expect(seats).toHaveLength(40);
    // Nobody else gets in meanwhile: the visitor stays in line.
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    expect((await fetch(`${edge}/admin/api/shows/${show.id}/pause`, { method: 'POST', headers: admin })).status).toBe(
      200,
    );

    const context = await browser.newContext({ ...DEVICES.phone, locale: 'pt-BR', timezoneId: 'Asia/Tokyo' });
    const page = await context.newPage();
    const shot = (name: string) =>
      page.screenshot({ path: path.join(SOLD_OUT_ARTIFACTS, `pt-BR-phone-while-waiting-${name}.png`), fullPage: true });
    try {
      await page.goto(`${edge}/waiting-room/${show.id}`);
      await page.waitForFunction(
        (text) => document.getElementById('headline')?.textContent === text,
        i18n('pt-BR').t('wait.paused'),
        { timeout: 20_000 },
      );
      await shot('1-waiting');
      await buy(first, seats.slice(0, 20));
      await buy(second, seats.slice(20));
      await page.waitForFunction(
        (text) => document.getElementById('headline')?.textContent === text,
        i18n('pt-BR').t('wait.soldOutWhileWaiting'),
        { timeout: 20_000 },
      );
      // Where else the movie has seats, as a refused join says: the same list, one tap away.
      const others = await page
        .locator('#alternatives a')
        .evaluateAll((links) => links.map((a) => a.getAttribute('href')));
      expect(others.length).toBeGreaterThan(0);
      expect(others).not.toContain(`/waiting-room/${show.id}`);
      expect(await page.isVisible('#others')).toBe(true);
      expect(await accessibilityProblems(page)).toEqual([]);
      await shot('2-sold-out');
    } catch (err) {
      await shot('failed').catch(() => undefined);
      throw err;
    } finally {
      await context.close();
    }
  }, 120_000);
});
