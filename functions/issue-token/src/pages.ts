import { roomTypeName, showHeading, type ShowHeading } from '@premiere/contracts';
import { clientScript, html, Html, page, type MessageKey, type Translator } from '@premiere/web';
import type { Alternative } from './alternatives';
import type { PublicStatus } from './waiting-room';

export type { ShowHeading };

/** A page of the waiting room in the visitor's language; `path`: where the language switch comes back to. */
const roomPage = (i: Translator, path: string, title: string, body: Html, head?: Html) =>
  page(title, body, head, { i18n: i, path });

/** The estimate in words, never more precise than it is (the page's script says it alike). */
export function waitWords(i: Translator, seconds: number): string {
  const minutes = seconds / 60;
  if (minutes < 1) return i.t('wait.estimate.underMinute');
  if (minutes < 1.5) return i.t('wait.estimate.aboutMinute');
  if (minutes < 90) return i.t('wait.estimate.minutes', { count: Math.round(minutes) });
  return i.t('wait.estimate.hours', { count: Math.round(minutes / 60) });
}

/** What a status says, in the visitor's language: the headline, the estimate (the place is `placeOf`'s). */
const pausedFor = (s: PublicStatus) => s.admissionsPaused || s.estimateState === 'paused';

function statusWords(i: Translator, show: ShowHeading, s: PublicStatus): { headline: string; estimate: string } {
  switch (s.state) {
    case 'waiting':
      return {
        headline: pausedFor(s) ? i.t('wait.paused') : i.t('wait.inLine'),
        estimate: pausedFor(s)
          ? i.t('wait.pausedEstimate')
          : s.estimatedWaitSeconds === null
            ? ''
            : i.t('wait.estimate', { estimate: waitWords(i, s.estimatedWaitSeconds) }),
      };
    case 'pre_queue':
      return {
        headline: s.salesOpenAt
          ? i.t('wait.preQueue', {
              day: i.when(s.salesOpenAt, show.timeZone, 'day'),
              time: i.when(s.salesOpenAt, show.timeZone, 'time'),
            })
          : '',
        estimate: '',
      };
    case 'admitted':
      return { headline: i.t('wait.admitted'), estimate: '' };
    case 'sold_out':
      return { headline: i.t('wait.soldOutWhileWaiting'), estimate: '' };
    case 'finished':
      return { headline: i.t('wait.finished'), estimate: '' };
    case 'left':
      return { headline: i.t('wait.left'), estimate: '' };
    default:
      return { headline: i.t('wait.expired'), estimate: '' };
  }
}

/**
 * How far the line has come to a visitor: from its start (the `place - 1` people who joined
 * before them) to none ahead, so that the first view already shows the line's progress rather than
 * an empty bar; without a place, from the count ahead when they first looked (`first`). At the
 * front, the bar is full.
 */
export function progressOf(
  first: number,
  ahead: number,
  place?: number | null,
): { passed: number; total: number; percent: number } {
  const total = Math.max(first, ahead, place ? place - 1 : 0);
  const passed = total - ahead;
  return { passed, total, percent: total === 0 ? 100 : Math.round((passed / total) * 100) };
}

/** The progress bar under its label, as the script also draws it (its value is said only when asked: it changes on every poll). */
const progressBar = (i: Translator, p: { passed: number; total: number; percent: number } | null) => {
  const value =
    p === null
      ? ''
      : p.total === 0
        ? i.t('wait.next')
        : i.t('wait.progressValue', { passed: p.passed, count: p.total });
  return html`<div id="progress-box"${p === null ? new Html(' hidden') : ''}><p class="bar-label" id="progress-label">${i.t('wait.progress')}</p>
<div id="progress" class="progress" role="progressbar" aria-labelledby="progress-label" aria-valuemin="0" aria-valuemax="100" aria-valuenow="${p?.percent ?? 0}" aria-valuetext="${value}"><span id="progress-fill" style="width:${p?.percent ?? 0}%"></span></div></div>`;
};

/** Another show not on sale yet: dashed, as in the catalog. */
const ALT_STYLE = new Html('.alt.presale{border-style:dashed}.alt small{font-size:.8rem;color:#595959}');

/** The waiting room's own looks: the big number, the bar, the live dot (pulsing only without reduced motion); errors, the dialog and actions are the layout's. */
const STYLE = html`<style>
.wait .big{font-size:3rem;line-height:1.1;margin:.2rem 0 0}.wait .big.next{font-size:1.8rem}.wait .label{margin:0 0 .4rem;font-weight:600}
.wait #headline{margin:.2rem 0 .4rem}.wait p:empty,.meta span:empty{display:none}.bar-label{margin:.8rem 0 0;font-size:.85rem;color:#595959}
.notice{background:#fff4e0;border-left:4px solid #c26b00;padding:.5rem .7rem;border-radius:.3rem;font-weight:600}.meta{display:flex;flex-wrap:wrap;gap:.2rem 1rem;font-size:.9rem;color:#595959;margin:.5rem 0}
.progress{height:.6rem;background:#e4e4e7;border-radius:.3rem;overflow:hidden;margin:.3rem 0 .3rem}.progress span{display:block;height:100%;background:#0a66c2;border-radius:.3rem;transition:width .6s}
.live{display:inline-flex;align-items:center;gap:.35rem;font-weight:600;color:#1a6330}.live .dot{width:.6rem;height:.6rem;border-radius:50%;background:#1f8a3b}
.live.reconnecting{color:#8a4600}.live.reconnecting .dot{background:#c26b00}
@media (prefers-reduced-motion: no-preference){.live .dot{animation:pulse 1.6s ease-in-out infinite}.live.reconnecting .dot{animation:none}}
@keyframes pulse{0%{box-shadow:0 0 0 0 #1f8a3b99}70%{box-shadow:0 0 0 .45rem #1f8a3b00}100%{box-shadow:0 0 0 0 #1f8a3b00}}
@media (prefers-reduced-motion: reduce){.progress span{transition:none}}
${ALT_STYLE}</style>`;

/**
 * The page's script: joins, polls the status API, says each status in the page's language (the
 * API's `message` is English, for apps), and moves on to seat selection when admitted. Only the
 * headline, place and estimate are in the live region, each written only when it changes, so a
 * screen reader hears a move in the line, not every poll. The bar starts at the first count seen
 * (kept in sessionStorage: a reload does not start it over; where storage is blocked, in memory).
 * Every retry is kept in `timer`, so that a visitor who left, or a line that ended, asks no more.
 */
const SCRIPT = `(function () {
  var token, timer, gone = false, connected = false, firstSeen = null, FIRST = 'premiere-wait-first:' + API;
  function $(id) { return document.getElementById(id); }
  function text(id, t) { t = t == null ? '' : String(t); if ($(id).textContent !== t) $(id).textContent = t; }
  function later(f, ms) { clearTimeout(timer); if (!gone) timer = setTimeout(f, ms); }
  // Storage may be blocked (a privacy setting): then the first count lives as long as the page.
  function firstAhead() { try { var v = sessionStorage.getItem(FIRST); if (v != null) return Number(v); } catch (e) {} return firstSeen; }
  function keepFirst(n) { firstSeen = n; try { if (n == null) sessionStorage.removeItem(FIRST); else sessionStorage.setItem(FIRST, String(n)); } catch (e) {} }
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
    others(b.alternatives || []);
  }
  // Other shows of the movie with tickets: after a refused join, or when the line sold out.
  function others(all) {
    var rooms = { regular: t('room.regular'), imax: t('room.imax'), vip: t('room.vip') }, list = $('alternatives');
    all.forEach(function (a) {
      var li = list.appendChild(document.createElement('li'));
      li.innerHTML = '<a class="show alt"><strong></strong> <span></span></a>';
      var link = li.firstChild;
      link.href = a.url;
      link.firstChild.textContent = when(a.startsAt, 'dateTime', a.timeZone);
      link.lastChild.textContent = t('soldOut.where', { cinema: a.cinemaName, city: a.city, room: rooms[a.roomType] || a.roomType });
      // Not on sale yet: marked as the catalog marks it (its waiting room queues until then).
      if (a.salesOpenAt && Date.parse(a.salesOpenAt) > Date.now()) {
        link.className = 'show alt presale';
        link.appendChild(document.createTextNode(' '));
        link.appendChild(document.createElement('small')).textContent = t('catalog.presale', { when: when(a.salesOpenAt, 'dateTime', a.timeZone) });
      }
    });
    if (!all.length) list.appendChild(document.createElement('li')).textContent = t('wait.noAlternatives');
    $('others').hidden = false;
    $('keep-open').hidden = true;
  }
  // Alive while answers come; reconnecting when they fail. The time is the server's (its Date header).
  function live(ok, r) {
    if (ok) connected = true;
    $('meta').hidden = false;
    $('live').className = ok ? 'live' : 'live reconnecting';
    text('live-text', ok ? t('wait.live') : t('wait.reconnecting'));
    if (ok) text('updated', t('wait.updated', { time: when((r && Date.parse(r.headers.get('date'))) || Date.now(), 'clock') }));
  }
  // From the line's start to the visitor's place (as the server's page draws it), else from the first count seen.
  function progress(ahead, place) {
    var first = firstAhead();
    if (first == null || !(first >= ahead)) { first = ahead; keepFirst(first); }
    if (place && place - 1 > first) first = place - 1;
    var passed = first - ahead, percent = first === 0 ? 100 : Math.round(passed / first * 100), bar = $('progress');
    $('progress-box').hidden = false;
    bar.setAttribute('aria-valuenow', String(percent));
    bar.setAttribute('aria-valuetext', first === 0 ? t('wait.next') : t('wait.progressValue', { passed: passed, count: first }));
    $('progress-fill').style.width = percent + '%';
  }
  function render(s, r) {
    if (gone) return;
    if (s.token) token = s.token;
    live(true, r);
    var paused = s.admissionsPaused || s.estimateState === 'paused', waiting = s.state === 'waiting';
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
    $('headline').className = waiting && paused ? 'notice' : '';
    if (s.state === 'admitted') {
      // Only "your turn" while the seat map loads: nothing left of the line to contradict it.
      keepFirst(null); clearTimeout(timer);
      text('place', ''); text('place-label', ''); text('estimate', ''); text('line', '');
      $('progress-box').hidden = true; $('leave').hidden = true; $('meta').hidden = true;
      setTimeout(function () { location.href = s.enterUrl; }, 700);
      return;
    }
    text('place', waiting ? (s.ahead === 0 ? t('wait.next') : new Intl.NumberFormat(LOCALE).format(s.ahead)) : '');
    $('place').className = s.ahead === 0 ? 'big next' : 'big';
    text('place-label', waiting && s.ahead > 0 ? t('wait.aheadLabel', { count: s.ahead }) : '');
    text('estimate', !waiting ? '' : paused ? t('wait.pausedEstimate') : s.estimatedWaitSeconds != null ? t('wait.estimate', { estimate: waitWords(s.estimatedWaitSeconds) }) : '');
    text('line', waiting ? t('wait.lineSize', { count: s.waiting }) : '');
    if (waiting) progress(s.ahead, s.place); else $('progress-box').hidden = true;
    $('leave').hidden = !(waiting || s.state === 'pre_queue');
    if (s.state === 'expired' || s.state === 'left' || s.state === 'finished' || s.state === 'sold_out') {
      ended();
      // Sold out: joining again cannot help; other shows can.
      if (s.state === 'sold_out') { $('again').hidden = true; others(s.alternatives || []); }
      return;
    }
    if (s.pollAfterMs) later(poll, s.pollAfterMs);
  }
  function ended() {
    gone = true; clearTimeout(timer); keepFirst(null);
    if ($('leave-dialog').open) $('leave-dialog').close(); // over (sold out…) while asked to confirm leaving: nothing left to leave
    $('meta').hidden = true; $('progress-box').hidden = true; $('leave').hidden = true; $('keep-open').hidden = true;
    $('headline').className = '';
    text('place', ''); text('place-label', ''); text('estimate', ''); text('line', '');
    $('again').hidden = false;
  }
  function join() {
    if (gone) return;
    fetch(API + '/join', { method: 'POST', credentials: 'same-origin' }).then(function (r) {
      return r.json().then(function (b) {
        if (r.status === 410) return soldOut(b);
        var retry = Number(r.headers.get('retry-after')) || 3;
        if (r.status === 429) {
          text('headline', (b.limit === 'address_tokens' ? t('wait.networkFull') : t('wait.tooMany')) + ' ' + t('wait.retryIn', { count: retry }));
          return later(join, retry * 1000);
        }
        if (r.status === 503) { text('headline', t('wait.recovering') + ' ' + t('wait.retryIn', { count: retry })); return later(join, retry * 1000); }
        if (!r.ok) { text('headline', t('wait.retrying')); return later(join, 3000); }
        token = b.token; render(b.status, r);
      });
    }).catch(function () {
      if (gone) return;
      // Never in line yet: still "joining"; once it was, a failure is a connection lost.
      if (connected) live(false);
      later(join, 3000);
    });
  }
  function poll() {
    fetch(API + '/status', { headers: { authorization: 'Bearer ' + token }, credentials: 'same-origin' }).then(function (r) {
      if (r.status === 401 || r.status === 403) return join();
      if (!r.ok) throw new Error(String(r.status));
      return r.json().then(function (s) { render(s, r); });
    }).catch(function () { if (gone) return; live(false); later(poll, 3000); });
  }
  // Leaving asks first, in the page; the place goes to the next person only once confirmed.
  var dialog = $('leave-dialog');
  $('leave').addEventListener('click', function () { $('leave-error').hidden = true; dialog.showModal(); });
  $('stay').addEventListener('click', function () { dialog.close(); });
  $('leave-confirm').addEventListener('click', function () {
    var button = this; button.disabled = true;
    fetch(API + '/token', { method: 'DELETE', headers: { authorization: 'Bearer ' + token }, credentials: 'same-origin' }).then(function (r) {
      if (!r.ok) throw new Error(String(r.status));
      button.disabled = false; dialog.close();
      text('headline', t('wait.left')); ended(); $('again').querySelector('a').focus();
    }).catch(function () { button.disabled = false; $('leave-error').hidden = false; });
  });
  // Said by the script, which joins: without it, the button does.
  $('join').hidden = true;
  text('headline', t('wait.joining'));
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
    html`${showHeading(i, show)}
<div class="card wait">
<div id="announce" aria-live="polite" aria-atomic="true">
<p id="headline"></p>
<p class="big" id="place"></p>
<p class="label" id="place-label"></p>
<p id="estimate"></p>
</div>
${progressBar(i, null)}
<p class="meta" id="meta" hidden><span id="live" class="live"><span class="dot"></span><span id="live-text"></span></span><span id="line"></span><span id="updated"></span></p>
<form id="join" method="post" action="/waiting-room/${show.showId}/join"><button>${i.t('wait.join')}</button></form>
<div class="actions"><button id="leave" class="secondary" type="button" hidden>${i.t('wait.leave')}</button></div>
<p id="again" hidden><a class="button" href="/waiting-room/${show.showId}">${i.t('wait.joinAgain')}</a></p>
</div>
<dialog id="leave-dialog" aria-labelledby="leave-title" aria-describedby="leave-warning">
<h2 id="leave-title">${i.t('wait.leaveTitle')}</h2>
<p id="leave-warning">${i.t('wait.leaveWarning')}</p>
<p id="leave-error" class="alert" role="alert" hidden>${i.t('wait.leaveFailed')}</p>
<div class="actions"><button id="stay" type="button" autofocus>${i.t('wait.stay')}</button><button id="leave-confirm" class="danger" type="button">${i.t('wait.leave')}</button></div>
</dialog>
<div id="others" hidden><h2>${i.t('wait.othersOf', { title: show.title })}</h2><ul id="alternatives"></ul></div>
<p class="muted" id="keep-open">${i.t('wait.keepOpen')}</p>
${script}`,
    STYLE,
  );
}

/**
 * Each other show: when (on its cinema's clock), then where. The waiting room's script lists them
 * alike when its join is refused (soldOut), and hides "keep this page open", which no longer holds.
 * One whose sales have not opened is marked as the catalog marks it, with when they open.
 */
const presale = (a: Alternative) =>
  a.salesOpenAt !== null && a.salesOpenAt !== undefined && Date.parse(a.salesOpenAt) > Date.now();
const alternativesList = (i: Translator, alternatives: Alternative[]) =>
  alternatives.length === 0
    ? html`<p>${i.t('wait.noAlternatives')}</p>`
    : html`<h2>${i.t('wait.alternatives')}</h2><ul>${alternatives.map(
        (a) =>
          html`<li><a class="show alt${presale(a) ? ' presale' : ''}" href="${a.url}"><strong>${i.when(a.startsAt, a.timeZone)}</strong> <span>${i.t('soldOut.where', { cinema: a.cinemaName, city: a.city, room: roomTypeName(i, a.roomType) })}</span>${presale(a) ? html` <small>${i.t('catalog.presale', { when: i.when(a.salesOpenAt!, a.timeZone) })}</small>` : ''}</a></li>`,
      )}</ul>`;

export type Refusal = 'sold_out' | 'drained' | 'started';
export const REFUSALS: Record<Refusal, MessageKey> = {
  sold_out: 'wait.refused.sold_out',
  drained: 'wait.refused.drained',
  started: 'wait.refused.started',
};

export function soldOutPage(i: Translator, show: ShowHeading, refusal: Refusal, alternatives: Alternative[]): string {
  const body = html`${showHeading(i, show)}<div class="card"><p>${i.t(REFUSALS[refusal])}</p></div>${alternativesList(i, alternatives)}`;
  return roomPage(
    i,
    `/waiting-room/${show.showId}`,
    i.t('wait.soldOutTitle', { title: show.title }),
    body,
    html`<style>${ALT_STYLE}</style>`,
  );
}

/** A short page: a title, a message, perhaps a refresh (to `refreshTo`) after `refreshSeconds`, and the way on (`next`). */
export function messagePage(
  i: Translator,
  path: string,
  title: string,
  message: string,
  refreshSeconds?: number,
  refreshTo?: string,
  next?: { href: string; text: string },
): string {
  const head = refreshSeconds
    ? refreshTo
      ? html`<meta http-equiv="refresh" content="${refreshSeconds};url=${refreshTo}">`
      : html`<meta http-equiv="refresh" content="${refreshSeconds}">`
    : new Html('');
  const onward = next ? html`<p><a class="button" href="${next.href}">${next.text}</a></p>` : '';
  return roomPage(i, path, title, html`<h1>${title}</h1><div class="card"><p>${message}</p>${onward}</div>`, head);
}

/**
 * Without JavaScript: the visitor's status, refreshing itself as often as the status says. The
 * refresh carries the count ahead first seen (`from`), so the progress bar does not start over.
 */
export function statusPage(
  i: Translator,
  show: ShowHeading,
  status: PublicStatus,
  seen: { firstAhead?: number; now?: number } = {},
): string {
  const waiting = status.state === 'waiting';
  const ahead = status.ahead ?? 0;
  const first = waiting ? Math.max(seen.firstAhead ?? ahead, ahead) : null;
  const again = `/waiting-room/${show.showId}/status${first === null ? '' : `?from=${first}`}`;
  const refresh =
    status.state === 'admitted'
      ? html`<meta http-equiv="refresh" content="0;url=${status.enterUrl}">`
      : status.pollAfterMs
        ? html`<meta http-equiv="refresh" content="${Math.max(1, Math.round(status.pollAfterMs / 1000))};url=${again}">`
        : new Html('');
  const words = statusWords(i, show, status);
  const body =
    status.state === 'admitted'
      ? html`<p id="headline">${words.headline}</p><p><a class="button" href="${status.enterUrl}">${i.t('wait.chooseSeats')}</a></p>`
      : html`<p id="headline"${waiting && pausedFor(status) ? new Html(' class="notice"') : ''}>${words.headline}</p>
${
  waiting
    ? html`${ahead === 0 ? html`<p class="big next" id="place">${i.t('wait.next')}</p>` : html`<p class="big" id="place">${i.number(ahead)}</p><p class="label">${i.t('wait.aheadLabel', { count: ahead })}</p>`}
${words.estimate ? html`<p id="estimate">${words.estimate}</p>` : ''}
${progressBar(i, progressOf(first!, ahead, status.place))}
<p class="meta"><span id="line">${i.t('wait.lineSize', { count: status.waiting })}</span><span id="updated">${i.t('wait.updated', { time: i.when(seen.now ?? Date.now(), show.timeZone, 'clock') })}</span></p>`
    : ''
}
${status.state === 'expired' || status.state === 'left' || status.state === 'finished' ? html`<form method="post" action="/waiting-room/${show.showId}/join"><button>${i.t('wait.joinAgain')}</button></form>` : ''}
${status.state === 'sold_out' ? alternativesList(i, status.alternatives ?? []) : ''}
${waiting || status.state === 'pre_queue' ? html`<div class="actions"><form method="post" action="/waiting-room/${show.showId}/leave"><button class="secondary">${i.t('wait.leave')}</button></form></div>` : ''}`;
  return roomPage(
    i,
    `/waiting-room/${show.showId}/status`,
    i.t('wait.pageTitle', { title: show.title }),
    html`${showHeading(i, show)}<div class="card wait">${body}</div>`,
    html`${refresh}${STYLE}`,
  );
}
