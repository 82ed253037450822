import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { accessibilityProblems, canRunBrowser, launchBrowser } from '@premiere/testing/browser';
import { eventually } from '@premiere/testing';
import { freePort } from '../src/backing';
import { startStack, whenUp } from './run-stack';

/**
 * The waiting room in a real browser, through the local stack, with people really waiting: a zone
 * of one taken by a visitor who does not go in, another visitor ahead. A Portuguese visitor on a
 * phone sees their place, the line's size, the bar, the last answer's time and the live dot (and
 * "reconnecting" while answers fail); an English visitor on a desktop leaves the line after the
 * page's confirmation; an operator pauses on the operators' page and the visitor's page, polling,
 * comes to read "paused" with no estimate; resumed, the visitor is let in and lands on the seat
 * map. axe-core finds nothing serious on any of it. Screenshots land in test-artifacts/waiting-room.
 */
const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts/waiting-room');
const PREMIERE = 'last-starfall-premiere';
const ADMIN_TOKEN = 'waiting-room-browser-test-admin-token';
const PHONE: BrowserContextOptions = {
  viewport: { width: 390, height: 844 },
  isMobile: true,
  hasTouch: true,
  deviceScaleFactor: 2,
};
const DESKTOP: BrowserContextOptions = { viewport: { width: 1280, height: 800 } };

const browserTest = canRunBrowser ? describe : describe.skip;
browserTest('the waiting room in a real browser', () => {
  let stack: ReturnType<typeof startStack>;
  let stateDir: string;
  let edge: string;
  let browser: Browser;

  beforeAll(async () => {
    stateDir = mkdtempSync(path.join(os.tmpdir(), 'premiere-waiting-room-'));
    // Polls at most 2 s apart (a pause is seen at once); an admitted visitor who never goes in keeps the slot for the test's length.
    stack = startStack(stateDir, await freePort(), {
      ADMIN_TOKEN,
      STATUS_POLL_MAX_SECONDS: '2',
      ADMISSION_TTL_SECONDS: '600',
    });
    edge = (await whenUp(stack)).edge;
    browser = await launchBrowser(ARTIFACTS);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    stack.child.kill('SIGINT');
    await stack.exited;
    rmSync(stateDir, { recursive: true, force: true });
  }, 30_000);

  const admin = (method: string, action: string, body?: unknown) =>
    fetch(`${edge}/admin/api/shows/${PREMIERE}${action}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });

  /** A visitor through the API, as an app: joins, and keeps polling (one who stops is passed over). */
  let sessions = 0;
  async function apiVisitor() {
    const session = `waiting-room-browser-${String(++sessions).padStart(6, '0')}`;
    const joined = await (
      await fetch(`${edge}/waiting-room/api/shows/${PREMIERE}/join`, {
        method: 'POST',
        headers: { 'x-session-id': session },
      })
    ).json();
    const headers = { authorization: `Bearer ${joined.token}`, 'x-session-id': session };
    const polling = setInterval(
      () => void fetch(`${edge}/waiting-room/api/shows/${PREMIERE}/status`, { headers }).catch(() => undefined),
      1_500,
    );
    return {
      state: joined.status.state as string,
      leave: async () => {
        clearInterval(polling);
        expect(
          (await fetch(`${edge}/waiting-room/api/shows/${PREMIERE}/token`, { method: 'DELETE', headers })).status,
        ).toBe(200);
      },
      stop: () => clearInterval(polling),
    };
  }

  const shooter = (page: Page, name: string) => (state: string) =>
    page.screenshot({ path: path.join(ARTIFACTS, `${name}-${state}.png`), fullPage: true });
  const noWiderThanScreen = async (page: Page) =>
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
      page.viewportSize()!.width,
    );

  it('shows the wait, leaves the line after a confirmation, says paused while an operator pauses, and lets the visitor in when resumed', async () => {
    // A zone of one, taken by a visitor who does not go in; another waits ahead of our visitors.
    expect((await admin('PATCH', '', { capacity: 1 })).status).toBe(200);
    const inside = await apiVisitor();
    expect(inside.state).toBe('admitted');
    const ahead = await apiVisitor();
    expect(ahead.state).toBe('waiting');

    const pt = await browser.newContext({ ...PHONE, locale: 'pt-BR', timezoneId: 'Asia/Tokyo' });
    const en = await browser.newContext({ ...DESKTOP, locale: 'en-US', timezoneId: 'Asia/Tokyo' });
    const ops = await browser.newContext({ ...DESKTOP, locale: 'pt-BR' });
    const visitor = await pt.newPage();
    const leaver = await en.newPage();
    const operator = await ops.newPage();
    const dialogs: string[] = [];
    for (const p of [visitor, leaver, operator])
      p.on('dialog', (d) => void d.dismiss().then(() => dialogs.push(d.type())));
    const shot = shooter(visitor, 'phone-pt-BR');
    const shotEn = shooter(leaver, 'desktop-en');
    try {
      // Waiting, in Portuguese on a phone: one big number, the estimate, the line, the bar, when, live.
      await visitor.goto(`${edge}/waiting-room/${PREMIERE}`);
      await visitor.locator('#live-text').filter({ hasText: 'Ao vivo' }).waitFor();
      expect(await visitor.textContent('#place')).toBe('1');
      expect(await visitor.textContent('#place-label')).toBe('pessoa na sua frente');
      expect(await visitor.textContent('#estimate')).toMatch(/^Espera estimada: (menos de um minuto|cerca de)/);
      expect(await visitor.textContent('#line')).toBe('2 pessoas na fila');
      expect(await visitor.textContent('#updated')).toMatch(/^Atualizado às \d\d:\d\d:\d\d$/);
      const bar = visitor.getByRole('progressbar', { name: 'Quanto a fila já andou até você' });
      // The third to join (one inside, one ahead): from the first view, the line has come 1 of the 2 places to them.
      expect(await bar.getAttribute('aria-valuenow')).toBe('50');
      expect(await bar.getAttribute('aria-valuetext')).toBe('A fila andou 1 de 2 lugares até você');
      expect(await visitor.textContent('h1')).toBe('The Last Starfall');
      expect(await visitor.textContent('main p.muted')).toMatch(/^Cine Paulista, São Paulo · VIP · /);
      // The count and the estimate each said once on the page.
      const body = await visitor.innerText('main'); // what shows (not the script's messages)
      expect(body.split('Espera estimada').length - 1).toBe(1);
      // Only the place and the estimate are announced: the clock and the dot change on every poll.
      expect(await visitor.$$eval('[aria-live]', (all) => all.map((e) => e.id))).toEqual(['announce']);
      expect(await visitor.$eval('#announce', (e) => !!e.querySelector('#updated, #live, #line, #progress-box'))).toBe(
        false,
      );
      expect(await accessibilityProblems(visitor)).toEqual([]);
      await noWiderThanScreen(visitor);
      await shot('1-waiting');
      // The same on a desktop.
      await visitor.setViewportSize(DESKTOP.viewport!);
      expect(await accessibilityProblems(visitor)).toEqual([]);
      await visitor.screenshot({ path: path.join(ARTIFACTS, 'desktop-pt-BR-1-waiting.png'), fullPage: true });
      await visitor.setViewportSize(PHONE.viewport!);
      // The time moves on with each answer.
      const first = await visitor.textContent('#updated');
      await eventually(async () => (await visitor.textContent('#updated')) !== first, 30_000, 200);

      // Answers failing: the dot says so; back when they come again.
      await visitor.route('**/waiting-room/api/shows/*/status', (route) => route.abort());
      await visitor.locator('#live-text').filter({ hasText: 'Reconectando…' }).waitFor({ timeout: 30_000 });
      expect(await visitor.getAttribute('#live', 'class')).toBe('live reconnecting');
      await shot('2-reconnecting');
      await visitor.unroute('**/waiting-room/api/shows/*/status');
      await visitor.locator('#live-text').filter({ hasText: 'Ao vivo' }).waitFor({ timeout: 30_000 });

      // In English on a desktop, behind the first: then leaving, asked first in the page.
      await leaver.goto(`${edge}/waiting-room/${PREMIERE}`);
      await leaver.locator('#live-text').filter({ hasText: 'Live' }).waitFor();
      expect(await leaver.textContent('#place')).toBe('2');
      expect(await leaver.textContent('#place-label')).toBe('people ahead of you');
      expect(await leaver.textContent('#line')).toBe('3 people in line');
      expect(await leaver.textContent('#estimate')).toMatch(/^Estimated wait: (less than a minute|about)/);
      expect(await leaver.textContent('#updated')).toMatch(/^Updated at (1[0-2]|[1-9]):\d\d:\d\d [AP]M$/);
      expect(await accessibilityProblems(leaver)).toEqual([]);
      await noWiderThanScreen(leaver);
      await shotEn('1-waiting');
      await leaver.setViewportSize(PHONE.viewport!);
      await noWiderThanScreen(leaver);
      await leaver.screenshot({ path: path.join(ARTIFACTS, 'phone-en-1-waiting.png'), fullPage: true });
      await leaver.setViewportSize(DESKTOP.viewport!);
      await leaver.getByRole('button', { name: 'Leave the line' }).click();
      const confirm = leaver.getByRole('dialog', { name: 'Leave the line?' });
      await confirm.waitFor();
      expect(await accessibilityProblems(leaver)).toEqual([]);
      await shotEn('2-confirm-leave');
      // Staying changes nothing.
      await confirm.getByRole('button', { name: 'Stay in line' }).click();
      await confirm.waitFor({ state: 'hidden' });
      expect(await leaver.textContent('#place')).toBe('2');
      await leaver.getByRole('button', { name: 'Leave the line' }).click();
      await confirm.getByRole('button', { name: 'Leave the line' }).click();
      await leaver.locator('#headline').filter({ hasText: 'You left the line.' }).waitFor();
      expect(await leaver.isVisible('a:text("Join again")')).toBe(true);
      expect(await leaver.isHidden('#leave')).toBe(true);
      expect(await leaver.isHidden('#progress')).toBe(true);
      expect(await leaver.isHidden('#keep-open')).toBe(true); // nothing to keep open for
      expect(await leaver.evaluate(() => document.activeElement?.textContent)).toBe('Join again');
      expect(await accessibilityProblems(leaver)).toEqual([]);
      await shotEn('3-left');
      // Joining again: a new place at the back (the cookie's old token is not taken for the place it left); then out for good.
      await leaver.getByRole('link', { name: 'Join again' }).click();
      await leaver.locator('#live-text').filter({ hasText: 'Live' }).waitFor();
      expect(await leaver.textContent('#place')).toBe('2');
      await leaver.getByRole('button', { name: 'Leave the line' }).click();
      await confirm.getByRole('button', { name: 'Leave the line' }).click();
      await leaver.locator('#headline').filter({ hasText: 'You left the line.' }).waitFor();
      // The line is one shorter for those still in it.
      await visitor.locator('#line').filter({ hasText: '2 pessoas na fila' }).waitFor({ timeout: 30_000 });

      // The operator pauses on the operators' page, confirming in its dialog.
      await operator.goto(`${edge}/admin`);
      await operator.getByLabel('Token de operador').fill(ADMIN_TOKEN);
      await operator.getByRole('button', { name: 'Entrar' }).click();
      const card = operator.locator(`[data-show="${PREMIERE}"]`);
      await card.waitFor();
      expect(await accessibilityProblems(operator)).toEqual([]);
      await operator.screenshot({ path: path.join(ARTIFACTS, 'operator-1-signed-in.png'), fullPage: true });
      await card.getByRole('button', { name: 'Pausar admissões' }).click();
      const ask = operator.getByRole('dialog');
      await ask.waitFor();
      await ask.getByRole('button', { name: 'Pausar admissões' }).click();
      await card.getByRole('status').filter({ hasText: 'Admissões pausadas' }).waitFor();

      // The visitor's page learns of the pause by itself (it polls 2 s apart at most; the wait is
      // generous for a loaded machine), says paused with no estimate, and keeps the place.
      await visitor.waitForFunction(
        () => /pausadas/.test(document.getElementById('headline')?.textContent ?? ''),
        undefined,
        { timeout: 30_000 },
      );
      expect(await accessibilityProblems(operator)).toEqual([]);
      await operator.screenshot({ path: path.join(ARTIFACTS, 'operator-2-paused.png'), fullPage: true });
      expect(await visitor.textContent('#estimate')).toBe('Não dá para estimar a espera até que as entradas voltem.');
      expect(await visitor.textContent('#place')).toBe('1');
      expect(await visitor.getAttribute('#headline', 'class')).toBe('notice');
      expect(await accessibilityProblems(visitor)).toEqual([]);
      await shot('3-paused');

      // While paused, the slot frees and the one ahead leaves: next in line, the bar full, still paused.
      await inside.leave();
      await ahead.leave();
      await visitor.locator('#place').filter({ hasText: 'Sua vez é a próxima' }).waitFor({ timeout: 30_000 });
      expect(await bar.getAttribute('aria-valuenow')).toBe('100');
      expect(await visitor.textContent('#line')).toBe('1 pessoa na fila');
      expect(await visitor.textContent('#headline')).toMatch(/pausadas/);
      expect(await accessibilityProblems(visitor)).toEqual([]);
      await shot('4-next-paused');

      // Resumed: let in, and on to the seat map.
      await card.getByRole('button', { name: 'Retomar admissões' }).click();
      await card.getByRole('status').filter({ hasText: 'Admissões retomadas' }).waitFor();
      await visitor.waitForURL(`**/checkout/${PREMIERE}?access=*`, { timeout: 30_000 });
      await visitor.waitForSelector('.seat');
      await shot('5-seat-map');
      expect(dialogs).toEqual([]); // no alert(), confirm() or prompt()

      // Without JavaScript, on a phone: the button joins, the status page says the same and refreshes itself.
      const noJs = await browser.newContext({ ...PHONE, locale: 'pt-BR', javaScriptEnabled: false });
      // axe needs JavaScript: the same page (it has no script) in a context with it and the same
      // cookies, its refresh taken out so that it holds still meanwhile.
      const accessibilityOf = async (url: string) => {
        const checking = await browser.newContext({ ...PHONE, locale: 'pt-BR' });
        try {
          await checking.addCookies(await noJs.cookies());
          const page = await checking.newPage();
          await page.route(url, async (route) => {
            const response = await route.fetch();
            await route.fulfill({
              response,
              body: (await response.text()).replace(/<meta http-equiv="refresh"[^>]*>/, ''),
            });
          });
          await page.goto(url);
          return await accessibilityProblems(page);
        } finally {
          await checking.close();
        }
      };
      try {
        const plain = await noJs.newPage();
        await plain.goto(`${edge}/waiting-room/${PREMIERE}`);
        await plain.getByRole('button', { name: 'Entrar na fila' }).click();
        await plain.waitForURL(`**/waiting-room/${PREMIERE}/status`);
        expect(await plain.textContent('#place')).toBe('Sua vez é a próxima'); // the one let in holds the zone of one
        expect(await plain.textContent('#line')).toBe('1 pessoa na fila');
        expect(await plain.textContent('#updated')).toMatch(/^Atualizado às \d\d:\d\d:\d\d$/);
        expect(await plain.getAttribute('[role="progressbar"]', 'aria-valuenow')).toBe('100');
        expect(await plain.getAttribute('meta[http-equiv="refresh"]', 'content')).toMatch(
          /^\d+;url=\/waiting-room\/.+\/status\?from=0$/,
        );
        expect(await accessibilityOf(plain.url())).toEqual([]);
        await noWiderThanScreen(plain);
        await plain.screenshot({ path: path.join(ARTIFACTS, 'phone-pt-BR-no-js-waiting.png'), fullPage: true });
        await plain.getByRole('button', { name: 'Sair da fila' }).click();
        await plain.getByText('Você saiu da fila', { exact: true }).waitFor();
        await plain.screenshot({ path: path.join(ARTIFACTS, 'phone-pt-BR-no-js-left.png'), fullPage: true });
      } finally {
        await noJs.close();
      }
    } catch (err) {
      await Promise.all(
        [
          shot('failed'),
          shotEn('failed'),
          operator.screenshot({ path: path.join(ARTIFACTS, 'operator-failed.png'), fullPage: true }),
        ].map((p) => p.catch(() => undefined)),
      );
      throw err;
    } finally {
      inside.stop();
      ahead.stop();
      await Promise.all([pt.close(), en.close(), ops.close()]);
    }
  }, 180_000);

  it('says when sales open in the cinema’s time and the visitor’s language, whatever the browser’s zone', async () => {
    const show = 'last-starfall-paulista-imax-d1'; // the demo's pre-sale: opens in ten minutes
    const context = await browser.newContext({ ...PHONE, locale: 'en-US', timezoneId: 'Asia/Tokyo' });
    const page = await context.newPage();
    try {
      await page.goto(`${edge}/waiting-room/${show}`);
      await page.locator('#live-text').filter({ hasText: 'Live' }).waitFor();
      const status = await page.evaluate(
        (api) => fetch(api, { method: 'POST' }).then((r) => r.json()),
        `/waiting-room/api/shows/${show}/join`,
      );
      expect(status.status.state).toBe('pre_queue');
      const opens = new Date(status.status.salesOpenAt);
      const inSaoPaulo = (options: Intl.DateTimeFormatOptions) =>
        new Intl.DateTimeFormat('en', { ...options, timeZone: 'America/Sao_Paulo' }).format(opens);
      expect(await page.textContent('#headline')).toBe(
        `Sales open on ${inSaoPaulo({ weekday: 'short', day: 'numeric', month: 'short' })} at ${inSaoPaulo({ hour: 'numeric', minute: '2-digit' })}. Everyone here before then gets a place drawn at random when they open, so there is no need to hurry.`,
      );
      expect(await page.isVisible('#leave')).toBe(true);
      expect(await page.isHidden('#progress')).toBe(true);
      expect(await accessibilityProblems(page)).toEqual([]);
      await page.screenshot({ path: path.join(ARTIFACTS, 'phone-en-pre-sale.png'), fullPage: true });
    } finally {
      await context.close();
    }
  }, 60_000);
});
