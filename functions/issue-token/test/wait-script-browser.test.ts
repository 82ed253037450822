import path from 'node:path';
import type { Browser, BrowserContextOptions, Page, Route } from 'playwright-core';
import { i18n } from '@premiere/web';
import { eventually } from '@premiere/testing';
import { accessibilityProblems, canRunBrowser, launchBrowser } from '@premiere/testing/browser';
import { waitingRoomPage, type ShowHeading } from '../src/pages';
import type { PublicStatus } from '../src/waiting-room';

/**
 * The waiting room's script in a real browser, its page and the status API answered here, so that
 * each answer a visitor may meet comes when the test says: a line of thousands, a first join that
 * fails, a 429 while the visitor leaves, a sell-out while the leave dialog is open, a browser that
 * blocks storage. (The line for real, through the stack: local-stack/test/waiting-room.browser.test.ts.)
 * Screenshots land in test-artifacts/waiting-room (script-*).
 */
const ARTIFACTS = path.resolve(__dirname, '../../../test-artifacts/waiting-room');
const ORIGIN = 'http://premiere.test';
const show: ShowHeading = {
  showId: 'estrela-1',
  title: 'Estrela Cadente',
  cinemaName: 'Cine Paulista',
  city: 'São Paulo',
  roomType: 'imax',
  startsAt: Date.parse('2027-01-10T23:00:00Z'),
  timeZone: 'America/Sao_Paulo',
};
const API = `/waiting-room/api/shows/${show.showId}`;
const PHONE: BrowserContextOptions = {
  viewport: { width: 390, height: 844 },
  isMobile: true,
  hasTouch: true,
  locale: 'pt-BR',
};
const DESKTOP: BrowserContextOptions = { viewport: { width: 1280, height: 800 }, locale: 'en-US' };
const pt = i18n('pt-BR');

const waiting = (ahead: number, extra: Partial<PublicStatus> = {}): PublicStatus => ({
  showId: show.showId,
  state: 'waiting',
  place: ahead + 10,
  ahead,
  waiting: ahead + 6,
  estimateState: 'estimated',
  estimatedWaitSeconds: 600,
  estimate: 'about 10 minutes',
  pollAfterMs: 500,
  salesOpenAt: null,
  admissionsPaused: false,
  message: 'English, for apps',
  ...extra,
});
const soldOut: PublicStatus = {
  ...waiting(0),
  state: 'sold_out',
  ahead: null,
  estimateState: null,
  estimatedWaitSeconds: null,
  estimate: null,
  pollAfterMs: null,
  alternatives: [],
};

/** What the API does with one request: answer it (status, body, headers) or drop the connection. */
type Answer = { status?: number; json: unknown; headers?: Record<string, string> } | 'abort';
/** The requests the script made, by kind, in order. */
type Calls = { join: number; status: number; leave: number };

const browserTest = canRunBrowser ? describe : describe.skip;
browserTest('the waiting room’s script in a real browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser(ARTIFACTS);
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** The waiting room in the context's language, its API answered by `api` (the nth call of each kind). */
  async function open(
    options: BrowserContextOptions,
    api: (kind: keyof Calls, n: number) => Answer,
    init?: () => void,
  ): Promise<{ page: Page; calls: Calls }> {
    const context = await browser.newContext(options);
    if (init) await context.addInitScript(init);
    const page = await context.newPage();
    const calls: Calls = { join: 0, status: 0, leave: 0 };
    const html = waitingRoomPage(i18n(options.locale === 'pt-BR' ? 'pt-BR' : 'en'), show);
    await page.route(`${ORIGIN}/**`, (route: Route) => {
      const url = new URL(route.request().url());
      const kind = (
        { [`${API}/join`]: 'join', [`${API}/status`]: 'status', [`${API}/token`]: 'leave' } as Record<
          string,
          keyof Calls
        >
      )[url.pathname];
      if (url.pathname === `/waiting-room/${show.showId}`)
        return route.fulfill({ contentType: 'text/html; charset=utf-8', body: html });
      if (!kind) return route.fulfill({ status: 404, body: '' });
      const answer = api(kind, ++calls[kind]);
      if (answer === 'abort') return route.abort();
      return route.fulfill({ status: answer.status ?? 200, json: answer.json, headers: answer.headers });
    });
    await page.goto(`${ORIGIN}/waiting-room/${show.showId}`);
    return { page, calls };
  }
  const joined = (status: PublicStatus): Answer => ({
    status: 201,
    json: { token: 'queue-token', visitor: 1, status },
  });
  const text = (page: Page, id: string) => page.textContent(`#${id}`);
  const shot = (page: Page, name: string) =>
    page.screenshot({ path: path.join(ARTIFACTS, `script-${name}.png`), fullPage: true });

  it('writes a long line’s count ahead as the language writes numbers, as the line’s size beside it', async () => {
    for (const [options, place, line, name] of [
      [PHONE, '1.234', '1.240 pessoas na fila', 'phone-pt-BR'],
      [DESKTOP, '1,234', '1,240 people in line', 'desktop-en'],
    ] as const) {
      const { page } = await open(options, (kind) =>
        kind === 'join'
          ? joined(waiting(1234, { pollAfterMs: 60_000 }))
          : { json: waiting(1234, { pollAfterMs: 60_000 }) },
      );
      try {
        await page.locator('#line').filter({ hasText: line }).waitFor();
        expect(await text(page, 'place')).toBe(place);
        expect(await accessibilityProblems(page)).toEqual([]);
        await shot(page, `${name}-long-line`);
      } finally {
        await page.context().close();
      }
    }
  }, 60_000);

  it('says only “your turn” when admitted: no count ahead, estimate or line left over from the last poll', async () => {
    const admitted: PublicStatus = {
      ...waiting(0),
      state: 'admitted',
      ahead: null,
      estimateState: null,
      estimatedWaitSeconds: null,
      estimate: null,
      pollAfterMs: null,
      enterUrl: '/checkout/estrela-1?access=x',
    };
    const { page } = await open(PHONE, (kind, n) =>
      kind === 'join' ? joined(waiting(1, { pollAfterMs: 300 })) : { json: n === 1 ? admitted : waiting(1) },
    );
    try {
      await page
        .locator('#headline')
        .filter({ hasText: pt.t('wait.admitted') })
        .waitFor({ timeout: 10_000 });
      expect(await text(page, 'place')).toBe('');
      expect(await text(page, 'place-label')).toBe('');
      expect(await text(page, 'estimate')).toBe('');
      expect(await page.isHidden('#progress-box')).toBe(true);
      expect(await page.isHidden('#leave')).toBe(true);
    } finally {
      await page.context().close();
    }
  }, 60_000);

  it('does not say “reconnecting” when the very first join fails, only once it has been connected', async () => {
    const { page, calls } = await open(PHONE, (kind, n) => {
      if (kind === 'join') return n === 1 || n === 3 ? 'abort' : joined(waiting(3, { pollAfterMs: 300 }));
      return n === 1 ? { json: waiting(3, { pollAfterMs: 300 }) } : { status: 401, json: { error: 'unauthorized' } };
    });
    try {
      await eventually(() => calls.join === 1, 10_000, 50);
      await page.waitForTimeout(500);
      // Never connected yet: still joining, no live line at all.
      expect(await text(page, 'headline')).toBe(pt.t('wait.joining'));
      expect(await page.isHidden('#meta')).toBe(true);
      // The retry joins; a later failure (the token refused, the join again failing) does say it.
      await page
        .locator('#live-text')
        .filter({ hasText: pt.t('wait.live') })
        .waitFor({ timeout: 10_000 });
      await page
        .locator('#live-text')
        .filter({ hasText: pt.t('wait.reconnecting') })
        .waitFor({ timeout: 10_000 });
    } finally {
      await page.context().close();
    }
  }, 60_000);

  it('joins no more once the visitor has left, even with a retry pending from a 429', async () => {
    const { page, calls } = await open(PHONE, (kind, n) => {
      if (kind === 'join')
        return n === 1
          ? joined(waiting(3, { pollAfterMs: 300 }))
          : { status: 429, json: { error: 'rate_limited', limit: 'session' }, headers: { 'retry-after': '2' } };
      if (kind === 'status') return { status: 401, json: { error: 'unauthorized' } };
      return { json: { showId: show.showId, state: 'left', leftFrom: 'waiting' } };
    });
    try {
      await page
        .locator('#headline')
        .filter({ hasText: pt.t('wait.tooMany') })
        .waitFor({ timeout: 10_000 });
      const joins = calls.join;
      await page.getByRole('button', { name: pt.t('wait.leave') }).click();
      await page
        .getByRole('dialog')
        .getByRole('button', { name: pt.t('wait.leave') })
        .click();
      await page
        .locator('#headline')
        .filter({ hasText: pt.t('wait.left') })
        .waitFor();
      await page.waitForTimeout(3_000); // past the 429's retry
      expect(calls.join).toBe(joins);
      expect(await text(page, 'headline')).toBe(pt.t('wait.left'));
    } finally {
      await page.context().close();
    }
  }, 60_000);

  it('closes the leave dialog when the line sells out while it is open, and lists the other shows instead of “keep this page open”', async () => {
    let sold = false;
    const { page } = await open(PHONE, (kind) =>
      kind === 'join'
        ? joined(waiting(3, { pollAfterMs: 300 }))
        : { json: sold ? soldOut : waiting(3, { pollAfterMs: 300 }) },
    );
    try {
      await page
        .locator('#live-text')
        .filter({ hasText: pt.t('wait.live') })
        .waitFor();
      await page.getByRole('button', { name: pt.t('wait.leave') }).click();
      const dialog = page.getByRole('dialog');
      await dialog.waitFor();
      sold = true;
      await page
        .locator('#headline')
        .filter({ hasText: pt.t('wait.soldOutWhileWaiting') })
        .waitFor({ timeout: 10_000 });
      await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
      expect(await page.isVisible('#others')).toBe(true);
      expect(await page.isHidden('#keep-open')).toBe(true);
      expect(await page.isHidden('#again')).toBe(true);
      expect(await accessibilityProblems(page)).toEqual([]);
      await shot(page, 'phone-pt-BR-sold-out-while-leaving');
    } finally {
      await page.context().close();
    }
  }, 60_000);

  it('marks another show whose sales have not opened as the catalog does (“vendas abrem …” on its cinema’s clock)', async () => {
    const onSale = {
      showId: 'estrela-2',
      title: show.title,
      cinemaName: 'Cine Copacabana',
      city: 'Rio de Janeiro',
      roomType: 'regular',
      startsAt: '2027-01-11T22:00:00.000Z',
      timeZone: 'America/Sao_Paulo',
      salesOpenAt: null,
      url: '/waiting-room/estrela-2',
    };
    const presale = {
      ...onSale,
      showId: 'estrela-3',
      cinemaName: 'Cine Paulista',
      city: 'São Paulo',
      roomType: 'vip',
      salesOpenAt: '2027-01-05T13:00:00.000Z',
      url: '/waiting-room/estrela-3',
    };
    for (const [options, mark, name] of [
      [PHONE, 'vendas abrem ter., 5 de jan., 10:00', 'phone-pt-BR'],
      [DESKTOP, 'sales open Tue, Jan 5, 10:00', 'desktop-en'],
    ] as const) {
      const { page } = await open(options, (kind) =>
        kind === 'join'
          ? { status: 410, json: { error: 'sold_out', alternatives: [onSale, presale] } }
          : { json: soldOut },
      );
      try {
        await page.locator('#alternatives a').nth(1).waitFor({ timeout: 10_000 });
        const [first, second] = await page.locator('#alternatives a').allTextContents();
        expect(first).not.toMatch(/vendas abrem|sales open/);
        expect(second).toContain(mark);
        expect(await page.getAttribute('#alternatives a >> nth=1', 'class')).toContain('presale');
        expect(await accessibilityProblems(page)).toEqual([]);
        await shot(page, `${name}-sold-out-presale-alternative`);
      } finally {
        await page.context().close();
      }
    }
  }, 60_000);

  it('fills the bar from the first answer with how far the line has come to the visitor’s place', async () => {
    const { page } = await open(PHONE, (kind) =>
      kind === 'join'
        ? joined(waiting(7, { place: 19, pollAfterMs: 60_000 }))
        : { json: waiting(7, { place: 19, pollAfterMs: 60_000 }) },
    );
    try {
      await page
        .locator('#live-text')
        .filter({ hasText: pt.t('wait.live') })
        .waitFor({ timeout: 10_000 });
      // The 19th to join, 7 still ahead: 11 of the 18 before them have gone in (or left).
      expect(await page.getAttribute('#progress', 'aria-valuenow')).toBe('61');
      expect(await page.getAttribute('#progress', 'aria-valuetext')).toBe(
        pt.t('wait.progressValue', { passed: 11, count: 18 }),
      );
      expect(await page.locator('#progress-fill').evaluate((e) => e.getBoundingClientRect().width)).toBeGreaterThan(0);
      await shot(page, 'phone-pt-BR-first-view-progress');
    } finally {
      await page.context().close();
    }
  }, 60_000);

  it('waits in line in a browser that blocks storage (the bar then starts over on a reload, nothing worse)', async () => {
    const blocked = () => {
      Object.defineProperty(window, 'sessionStorage', {
        get() {
          throw new DOMException('storage is blocked', 'SecurityError');
        },
      });
    };
    const { page } = await open(
      PHONE,
      (kind) => (kind === 'join' ? joined(waiting(3, { place: 4 })) : { json: waiting(2, { place: 4 }) }),
      blocked,
    );
    try {
      await page
        .locator('#live-text')
        .filter({ hasText: pt.t('wait.live') })
        .waitFor({ timeout: 10_000 });
      await page.locator('#place').filter({ hasText: '2' }).waitFor({ timeout: 10_000 });
      // From 3 ahead to 2, kept in the page's memory: 1 of 3.
      expect(await page.getAttribute('#progress', 'aria-valuenow')).toBe('33');
      expect(await text(page, 'live-text')).toBe(pt.t('wait.live'));
    } finally {
      await page.context().close();
    }
  }, 60_000);
});
