import { clientScript, html, Html, page, type MessageKey, type Translator } from '@premiere/runtime';
import type { Alternative } from './alternatives';
import type { PublicStatus } from './waiting-room';

export interface ShowHeading {
  showId: string;
  title: string;
  cinemaName: string;
  city: string;
  roomType: string;
  startsAt: number;
  timeZone: string;
}

const ROOM_TYPES: Record<string, MessageKey> = { regular: 'room.regular', imax: 'room.imax', vip: 'room.vip' };
const roomType = (i: Translator, type: string) => (ROOM_TYPES[type] ? i.t(ROOM_TYPES[type]) : type);

const heading = (i: Translator, show: ShowHeading) => html`<h1>${show.title}</h1>
<p class="muted">${show.cinemaName}, ${show.city} · ${roomType(i, show.roomType)} · ${i.when(show.startsAt, show.timeZone)}</p>`;

/** A page of the waiting room in the visitor's language; `path`: where the language switch comes back to. */
const roomPage = (i: Translator, path: string, title: string, body: Html, head?: Html) => page(title, body, head, { i18n: i, path });

/** The estimate in words, never more precise than it is (the page's script says it alike). */
export function waitWords(i: Translator, seconds: number): string {
  const minutes = seconds / 60;
  if (minutes < 1) return i.t('wait.estimate.underMinute');
  if (minutes < 1.5) return i.t('wait.estimate.aboutMinute');
  if (minutes < 90) return i.t('wait.estimate.minutes', { count: Math.round(minutes) });
  return i.t('wait.estimate.hours', { count: Math.round(minutes / 60) });
}

/** What a status says, in the visitor's language: the headline, the place, the estimate. */
function statusWords(i: Translator, show: ShowHeading, s: PublicStatus): { headline: string; place: string; estimate: string } {
  const paused = s.admissionsPaused;
  switch (s.state) {
    case 'waiting':
      return {
        headline: paused ? i.t('wait.paused') : i.t('wait.inLine'),
        place: s.ahead === 0 ? i.t('wait.next') : i.t('wait.ahead', { count: s.ahead ?? 0 }),
        estimate: paused ? i.t('wait.pausedEstimate') : s.estimatedWaitSeconds === null ? '' : i.t('wait.estimate', { estimate: waitWords(i, s.estimatedWaitSeconds) }),
      };
    case 'pre_queue':
      return { headline: s.salesOpenAt ? i.t('wait.preQueue', { day: i.when(s.salesOpenAt, show.timeZone, 'day'), time: i.when(s.salesOpenAt, show.timeZone, 'time') }) : '', place: '', estimate: '' };
    case 'admitted':
      return { headline: i.t('wait.admitted'), place: '', estimate: '' };
    case 'sold_out':
      return { headline: i.t('wait.soldOutWhileWaiting'), place: '', estimate: '' };
    case 'finished':
      return { headline: i.t('wait.finished'), place: '', estimate: '' };
    case 'left':
      return { headline: i.t('wait.left'), place: '', estimate: '' };
    default:
      return { headline: i.t('wait.expired'), place: '', estimate: '' };
  }
}

/**
 * The page's script: joins, polls the status API, says each status in the page's language (the
 * API's `message` is English, for apps), and moves on to seat selection when admitted.
 */
const SCRIPT = `(function () {
  var box, token;
  function $(id) { return document.getElementById(id); }
  function text(id, t) { $(id).textContent = t == null ? '' : t; }
  function waitWords(seconds) {
    var minutes = seconds / 60;
    if (minutes < 1) return t('wait.estimate.underMinute');
    if (minutes < 1.5) return t('wait.estimate.aboutMinute');
    if (minutes < 90) return t('wait.estimate.minutes', { count: Math.round(minutes) });
    return t('wait.estimate.hours', { count: Math.round(minutes / 60) });
  }
  function refusal(b) {
    switch (b.error) {
      case 'sold_out': return t('wait.refused.sold_out');
      case 'drained': return t('wait.refused.drained');
      case 'started': return t('wait.refused.started');
      default: return t('wait.retrying');
    }
  }
  function soldOut(b) {
    text('headline', refusal(b));
    var rooms = { regular: t('room.regular'), imax: t('room.imax'), vip: t('room.vip') }, list = $('alternatives'), all = b.alternatives || [], k = $('others').nextElementSibling;
    all.forEach(function (a) {
      var li = list.appendChild(document.createElement('li'));
      li.innerHTML = '<a class="show alt"><strong></strong> <span></span></a>';
      li.firstChild.href = a.url;
      li.firstChild.firstChild.textContent = when(a.startsAt, 'dateTime', a.timeZone);
      li.firstChild.lastChild.textContent = t('soldOut.where', { cinema: a.cinemaName, city: a.city, room: rooms[a.roomType] || a.roomType });
    });
    if (!all.length) list.appendChild(document.createElement('li')).textContent = t('wait.noAlternatives');
    $('others').hidden = false;
    if (k && k.tagName === 'P') k.hidden = true;
  }
  function render(s) {
    if (s.token) token = s.token;
    var paused = s.admissionsPaused || s.estimateState === 'paused';
    var headline = {
      waiting: paused ? t('wait.paused') : t('wait.inLine'),
      pre_queue: s.salesOpenAt ? t('wait.preQueue', { day: when(s.salesOpenAt, 'day'), time: when(s.salesOpenAt, 'time') }) : '',
      admitted: t('wait.admitted'),
      sold_out: t('wait.soldOutWhileWaiting'),
      finished: t('wait.finished'),
      left: t('wait.left'),
      expired: t('wait.expired')
    }[s.state];
    text('headline', headline);
    if (s.state === 'admitted') { location.href = s.enterUrl; return; }
    text('place', s.state === 'waiting' ? (s.ahead === 0 ? t('wait.next') : t('wait.ahead', { count: s.ahead })) : '');
    text('estimate', s.state !== 'waiting' ? '' : paused ? t('wait.pausedEstimate') : s.estimatedWaitSeconds != null ? t('wait.estimate', { estimate: waitWords(s.estimatedWaitSeconds) }) : '');
    if (s.state === 'expired' || s.state === 'left' || s.state === 'finished') { $('again').hidden = false; return; }
    if (s.pollAfterMs) setTimeout(poll, s.pollAfterMs);
  }
  function join() {
    fetch(API + '/join', { method: 'POST', credentials: 'same-origin' }).then(function (r) {
      return r.json().then(function (b) {
        if (r.status === 410) return soldOut(b);
        var retry = Number(r.headers.get('retry-after')) || 3;
        if (r.status === 429) {
          text('headline', (b.limit === 'address_tokens' ? t('wait.networkFull') : t('wait.tooMany')) + ' ' + t('wait.retryIn', { count: retry }));
          return setTimeout(join, retry * 1000);
        }
        if (r.status === 503) { text('headline', t('wait.recovering') + ' ' + t('wait.retryIn', { count: retry })); return setTimeout(join, retry * 1000); }
        if (!r.ok) { text('headline', t('wait.retrying')); return setTimeout(join, 3000); }
        token = b.token; render(b.status);
      });
    }).catch(function () { setTimeout(join, 3000); });
  }
  function poll() {
    fetch(API + '/status', { headers: { authorization: 'Bearer ' + token }, credentials: 'same-origin' }).then(function (r) {
      if (r.status === 401 || r.status === 403) return join();
      if (!r.ok) throw new Error(String(r.status));
      return r.json().then(render);
    }).catch(function () { setTimeout(poll, 3000); });
  }
  $('join').hidden = true;
  join();
})();`;

/**
 * The waiting room: the same page for everyone in a language (the edge keeps one per language);
 * the script joins and polls the status API, and moves on to seat selection when admitted. Without
 * JavaScript, a button joins and the status page refreshes itself.
 */
export function waitingRoomPage(i: Translator, show: ShowHeading): string {
  const api = `/waiting-room/api/shows/${show.showId}`;
  const script = clientScript(i, show.timeZone, `var API = ${JSON.stringify(api)};\n${SCRIPT}`);
  return roomPage(
    i,
    `/waiting-room/${show.showId}`,
    i.t('wait.pageTitle', { title: show.title }),
    html`${heading(i, show)}
<div class="card" aria-live="polite">
<p id="headline">${i.t('wait.joining')}</p>
<p class="big" id="place"></p>
<p id="estimate" class="muted"></p>
<form id="join" method="post" action="/waiting-room/${show.showId}/join"><button>${i.t('wait.join')}</button></form>
<p id="again" hidden><a class="button" href="/waiting-room/${show.showId}">${i.t('wait.joinAgain')}</a></p>
</div>
<div id="others" hidden><h2>${i.t('wait.othersOf', { title: show.title })}</h2><ul id="alternatives"></ul></div>
<p class="muted">${i.t('wait.keepOpen')}</p>
${script}`,
  );
}

/**
 * Each other show: when (on its cinema's clock), then where. The waiting room's script lists them
 * alike when its join is refused (soldOut), and hides "keep this page open", which no longer holds.
 */
const alternativesList = (i: Translator, alternatives: Alternative[]) =>
  alternatives.length === 0
    ? html`<p>${i.t('wait.noAlternatives')}</p>`
    : html`<h2>${i.t('wait.alternatives')}</h2><ul>${alternatives.map(
        (a) => html`<li><a class="show alt" href="${a.url}"><strong>${i.when(a.startsAt, a.timeZone)}</strong> <span>${i.t('soldOut.where', { cinema: a.cinemaName, city: a.city, room: roomType(i, a.roomType) })}</span></a></li>`,
      )}</ul>`;

export type Refusal = 'sold_out' | 'drained' | 'started';
export const REFUSALS: Record<Refusal, MessageKey> = { sold_out: 'wait.refused.sold_out', drained: 'wait.refused.drained', started: 'wait.refused.started' };

export function soldOutPage(i: Translator, show: ShowHeading, refusal: Refusal, alternatives: Alternative[]): string {
  const body = html`${heading(i, show)}<div class="card"><p>${i.t(REFUSALS[refusal])}</p></div>${alternativesList(i, alternatives)}`;
  return roomPage(i, `/waiting-room/${show.showId}`, i.t('wait.soldOutTitle', { title: show.title }), body);
}

/** A short page: a title, a message, and perhaps a refresh (to `refreshTo`) after `refreshSeconds`. */
export function messagePage(i: Translator, path: string, title: string, message: string, refreshSeconds?: number, refreshTo?: string): string {
  const head = refreshSeconds
    ? refreshTo ? html`<meta http-equiv="refresh" content="${refreshSeconds};url=${refreshTo}">` : html`<meta http-equiv="refresh" content="${refreshSeconds}">`
    : new Html('');
  return roomPage(i, path, title, html`<h1>${title}</h1><div class="card"><p>${message}</p></div>`, head);
}

/** Without JavaScript: the visitor's status, refreshing itself as often as the status says. */
export function statusPage(i: Translator, show: ShowHeading, status: PublicStatus): string {
  const refresh =
    status.state === 'admitted'
      ? html`<meta http-equiv="refresh" content="0;url=${status.enterUrl}">`
      : status.pollAfterMs
        ? html`<meta http-equiv="refresh" content="${Math.max(1, Math.round(status.pollAfterMs / 1000))}">`
        : new Html('');
  const words = statusWords(i, show, status);
  const body =
    status.state === 'admitted'
      ? html`<p>${words.headline}</p><p><a class="button" href="${status.enterUrl}">${i.t('wait.chooseSeats')}</a></p>`
      : html`<p>${words.headline}</p>
${status.state === 'waiting' ? html`<p class="big">${words.place}</p>${words.estimate ? html`<p class="muted">${words.estimate}</p>` : ''}` : ''}
${status.state === 'expired' || status.state === 'left' || status.state === 'finished' ? html`<form method="post" action="/waiting-room/${show.showId}/join"><button>${i.t('wait.joinAgain')}</button></form>` : ''}
${status.state === 'waiting' || status.state === 'pre_queue' ? html`<form method="post" action="/waiting-room/${show.showId}/leave"><button class="secondary">${i.t('wait.leave')}</button></form>` : ''}`;
  return roomPage(i, `/waiting-room/${show.showId}/status`, i.t('wait.pageTitle', { title: show.title }), html`${heading(i, show)}<div class="card">${body}</div>`, refresh);
}
