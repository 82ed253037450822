import { i18n } from '@premiere/web';
import { soldOutPage, statusPage, waitingRoomPage, type ShowHeading } from '../src/pages';
import type { PublicStatus } from '../src/waiting-room';

/**
 * The waiting room as a visitor reads it (issue 16): one clear number, the estimate once, how far
 * they have come, the line's size, when it was last updated, a sign it is alive, a way to leave
 * (confirmed in the page), the show's details; screen readers told of changes without being told
 * of every poll. The browser test (local-stack/test/waiting-room.browser.test.ts) runs the script.
 */
const show: ShowHeading = {
  showId: 'estrela-1',
  title: 'Estrela Cadente',
  cinemaName: 'Cine Paulista',
  city: 'São Paulo',
  roomType: 'imax',
  startsAt: Date.parse('2027-01-10T23:00:00Z'),
  timeZone: 'America/Sao_Paulo',
};
const waiting = {
  showId: show.showId,
  state: 'waiting',
  place: 19,
  ahead: 7,
  waiting: 12,
  estimateState: 'estimated',
  estimatedWaitSeconds: 200,
  estimate: 'about 3 minutes',
  pollAfterMs: 5_000,
  salesOpenAt: null,
  admissionsPaused: false,
  message: 'English, for apps',
} as PublicStatus;
const paused = {
  ...waiting,
  admissionsPaused: true,
  estimateState: 'paused',
  estimatedWaitSeconds: null,
  estimate: null,
} as PublicStatus;
const now = Date.parse('2027-01-10T15:04:05Z'); // 12:04:05 in São Paulo
const pt = i18n('pt-BR');
const en = i18n('en');

/** The page's visible text, tags and script left out. */
const textOf = (page: string) =>
  page
    .replace(/<script[\s\S]*?<\/script>|<style[\s\S]*?<\/style>|<head>[\s\S]*?<\/head>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ');
const count = (text: string, part: string) => text.split(part).length - 1;
/** The element with this id, to its closing tag (no nesting of the same tag inside). */
function element(page: string, id: string): string {
  const at = page.search(new RegExp(`<(\\w+)[^>]* id="${id}"`));
  expect(at).toBeGreaterThanOrEqual(0);
  const tag = /^<(\w+)/.exec(page.slice(at))![1];
  return page.slice(at, page.indexOf(`</${tag}>`, at) + tag.length + 3);
}

describe('the page without JavaScript (the status page)', () => {
  it('shows the count ahead once as one big number, the estimate once, the line’s size, the progress since the first visit and when it was updated', () => {
    // Joined as the 11th, 10 ahead then.
    const page = statusPage(pt, show, { ...waiting, place: 11 }, { firstAhead: 10, now });
    const text = textOf(page);
    expect(element(page, 'place')).toMatch(/class="big"[^>]*>7</);
    expect(text).toContain('7 pessoas na sua frente');
    expect(count(text, '7')).toBe(1); // one number, said once (the line's size is 12)
    expect(count(text, 'Espera estimada: cerca de 3 minutos')).toBe(1);
    expect(text).toContain('12 pessoas na fila');
    // From 10 ahead when they first looked, to 7: 3 of 10 places.
    const bar = element(page, 'progress');
    expect(bar).toContain('role="progressbar"');
    expect(bar).toContain('aria-labelledby="progress-label"');
    expect(element(page, 'progress-label')).toContain('>Quanto a fila já andou até você<');
    expect(bar).toContain('aria-valuenow="30"');
    expect(bar).toContain('aria-valuetext="A fila andou 3 de 10 lugares até você"');
    expect(text).toContain('Atualizado às 12:04:05'); // the cinema's clock, to the second
    // The refresh keeps where they started, so the bar does not start over.
    expect(page).toContain(`<meta http-equiv="refresh" content="5;url=/waiting-room/${show.showId}/status?from=10">`);
    expect(page).toContain('<button class="secondary">Sair da fila</button>');
    // The show: title, cinema, city, room and time in the cinema's zone.
    expect(text).toContain('Estrela Cadente');
    expect(text).toContain('Cine Paulista, São Paulo · IMAX · dom., 10 de jan., 20:00');
  });

  it('writes a long line’s count ahead as the visitor’s language writes numbers, as it does the line’s size', () => {
    const long = { ...waiting, ahead: 1234, waiting: 1240 } as PublicStatus;
    expect(element(statusPage(pt, show, long, { now }), 'place')).toMatch(/>1\.234</);
    expect(textOf(statusPage(pt, show, long, { now }))).toContain('1.240 pessoas na fila');
    expect(element(statusPage(en, show, long, { now }), 'place')).toMatch(/>1,234</);
  });

  it('shows the line’s progress to the visitor’s place from the first view (not an empty bar), and says “next” instead of a number at the front', () => {
    // The 19th to join, 7 still ahead: the line has come 11 of the 18 places to them.
    const first = statusPage(pt, show, waiting, { now });
    expect(first).toContain(`content="5;url=/waiting-room/${show.showId}/status?from=7"`);
    expect(element(first, 'progress')).toContain('aria-valuenow="61"');
    expect(element(first, 'progress')).toContain('aria-valuetext="A fila andou 11 de 18 lugares até você"');
    expect(element(first, 'progress-fill')).toContain('width:61%');
    const next = statusPage(en, show, { ...waiting, place: 5, ahead: 0 }, { firstAhead: 4, now });
    expect(textOf(next)).toContain('You are next');
    expect(element(next, 'progress')).toContain('aria-valuenow="100"');
    expect(element(next, 'progress')).toContain('aria-valuetext="The line has moved 4 of the 4 places before you"');
    expect(textOf(next)).toContain('Updated at 12:04:05 PM');
  });

  it('says paused and gives no estimate while admissions are paused', () => {
    const page = statusPage(pt, show, paused, { firstAhead: 10, now });
    const text = textOf(page);
    expect(element(page, 'headline')).toMatch(/^<p id="headline" class="notice">As entradas estão pausadas/);
    expect(text).not.toContain('Espera estimada');
    expect(text).toContain('7 pessoas na sua frente');
  });
});

describe('the waiting-room page', () => {
  for (const [name, i] of [
    ['pt-BR', pt],
    ['en', en],
  ] as const) {
    it(`has a polite, atomic live region for the place and the estimate only, in ${name}`, () => {
      const page = waitingRoomPage(i, show);
      const region = element(page, 'announce');
      expect(region).toContain('aria-live="polite"');
      expect(region).toContain('aria-atomic="true"');
      for (const id of ['headline', 'place', 'estimate']) expect(region).toContain(`id="${id}"`);
      // Said on every poll, so never announced: the time of the last answer, the live dot, the line's size, the bar.
      for (const id of ['updated', 'live', 'line', 'progress-box']) expect(region).not.toContain(`id="${id}"`);
      expect(count(page, 'aria-live')).toBe(1);
      expect(element(page, 'progress')).toContain('role="progressbar"');
      expect(element(page, 'progress')).toContain('aria-labelledby="progress-label"');
      expect(element(page, 'progress-label')).toContain(`>${i.t('wait.progress')}<`);
    });
  }

  it('leaves the line through the API, after a confirmation in the page (a dialog, not confirm())', () => {
    const page = waitingRoomPage(pt, show);
    const dialog = element(page, 'leave-dialog');
    expect(dialog).toMatch(/^<dialog /);
    expect(dialog).toContain('aria-labelledby="leave-title"');
    expect(dialog).toContain('Sair da fila?');
    expect(dialog).toContain('Continuar na fila');
    expect(element(page, 'leave')).toContain('Sair da fila');
    expect(page).toContain("method: 'DELETE'");
    expect(page).toContain("API + '/token'");
    expect(page).not.toMatch(/\bconfirm\(/);
    // The messages the script says, embedded.
    for (const key of [
      'wait.live',
      'wait.reconnecting',
      'wait.updated',
      'wait.lineSize',
      'wait.progressValue',
      'wait.left',
    ])
      expect(page).toContain(`"${key}"`);
  });

  it('pulses its live dot only for visitors who do not ask for reduced motion', () => {
    const page = waitingRoomPage(pt, show);
    expect(page).toMatch(/@media \(prefers-reduced-motion: no-preference\)\{[^}]*\.live \.dot\{animation:/);
    expect(page).not.toMatch(/^[^@]*\.dot\{[^}]*animation/m);
  });
});

describe('the waiting-room page without JavaScript', () => {
  it('says nothing that only its script would do (no “joining…” before anyone has joined)', () => {
    const withoutScripts = waitingRoomPage(pt, show).replace(/<script[\s\S]*?<\/script>/g, '');
    expect(withoutScripts).not.toContain(pt.t('wait.joining'));
    expect(withoutScripts).toContain(`<button>${pt.t('wait.join')}</button>`);
  });
});

describe('sold out while waiting', () => {
  it('says so and lists where else the movie has seats, as a refused join does', () => {
    const alternatives = [
      {
        showId: 'estrela-2',
        title: 'Estrela Cadente',
        cinemaName: 'Cine Copacabana',
        city: 'Rio de Janeiro',
        roomType: 'regular',
        startsAt: '2027-01-11T22:00:00.000Z',
        timeZone: 'America/Sao_Paulo',
        url: '/waiting-room/estrela-2',
      },
    ];
    const page = statusPage(
      pt,
      show,
      {
        ...waiting,
        state: 'sold_out',
        ahead: null,
        estimateState: null,
        estimatedWaitSeconds: null,
        estimate: null,
        pollAfterMs: null,
        alternatives,
      },
      { now },
    );
    const text = textOf(page);
    expect(text).toContain(pt.t('wait.soldOutWhileWaiting'));
    expect(page).toContain('href="/waiting-room/estrela-2"');
    expect(text).toContain('seg., 11 de jan., 19:00'); // on the cinema's clock
    expect(text).toContain('Cine Copacabana, Rio de Janeiro');
  });
});

describe('the other shows of a sold-out one', () => {
  // Sales for this one open on 5 Jan at 10:00 in São Paulo: its waiting room only queues until then.
  const presale = {
    showId: 'estrela-3',
    title: 'Estrela Cadente',
    cinemaName: 'Cine Paulista',
    city: 'São Paulo',
    roomType: 'vip',
    startsAt: '2027-01-12T22:00:00.000Z',
    timeZone: 'America/Sao_Paulo',
    salesOpenAt: '2027-01-05T13:00:00.000Z',
    url: '/waiting-room/estrela-3',
  };
  const onSale = {
    showId: 'estrela-2',
    title: 'Estrela Cadente',
    cinemaName: 'Cine Copacabana',
    city: 'Rio de Janeiro',
    roomType: 'regular',
    startsAt: '2027-01-11T22:00:00.000Z',
    timeZone: 'America/Sao_Paulo',
    salesOpenAt: null,
    url: '/waiting-room/estrela-2',
  };
  const soldOutStatus = {
    ...waiting,
    state: 'sold_out',
    ahead: null,
    estimateState: null,
    estimatedWaitSeconds: null,
    estimate: null,
    pollAfterMs: null,
    alternatives: [onSale, presale],
  } as PublicStatus;

  it('marks one whose sales have not opened as the catalog does, with when they open on the cinema’s clock', () => {
    for (const [i, mark] of [
      [pt, 'vendas abrem ter., 5 de jan., 10:00'],
      [en, 'sales open Tue, Jan 5, 10:00'],
    ] as const) {
      for (const page of [
        statusPage(i, show, soldOutStatus, { now }),
        soldOutPage(i, show, 'sold_out', soldOutStatus.alternatives!),
      ]) {
        const links = page.match(/<a class="show alt[^"]*" href="[^"]*">[\s\S]*?<\/a>/g) ?? [];
        expect(links).toHaveLength(2);
        const [first, second] = links.map(textOf);
        expect(first).not.toMatch(/vendas abrem|sales open/);
        expect(second).toContain(i.t('catalog.presale', { when: i.when(presale.salesOpenAt, presale.timeZone) }));
        expect(second).toContain(mark); // 13:00 UTC is 10:00 in São Paulo
        expect(links[1]).toContain('class="show alt presale"');
      }
    }
  });
});
