import { html, Html, page } from '@premiere/runtime';
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

const ROOM_TYPES: Record<string, string> = { regular: 'Regular', imax: 'IMAX', vip: 'VIP' };

function when(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' }).format(ms);
}

const heading = (show: ShowHeading) => html`<h1>${show.title}</h1>
<p class="muted">${show.cinemaName}, ${show.city} · ${ROOM_TYPES[show.roomType] ?? show.roomType} · ${when(show.startsAt, show.timeZone)}</p>`;

/**
 * The waiting room: the same page for everyone (the edge caches it); the script joins and polls the
 * status API, and moves on to seat selection when admitted. Without JavaScript, a button joins and
 * the status page refreshes itself.
 */
export function waitingRoomPage(show: ShowHeading): string {
  const api = `/waiting-room/api/shows/${show.showId}`;
  const script = new Html(`<script>
(function () {
  var api = ${JSON.stringify(api)}, box, token;
  function $(id) { return document.getElementById(id); }
  function text(id, t) { $(id).textContent = t == null ? '' : t; }
  function soldOut(b) {
    text('headline', b.message);
    var list = $('alternatives');
    (b.alternatives || []).forEach(function (a) {
      var li = document.createElement('li'), link = document.createElement('a');
      link.href = a.url; link.className = 'show';
      link.textContent = a.cinemaName + ', ' + a.city + ' · ' + new Date(a.startsAt).toLocaleString();
      li.appendChild(link); list.appendChild(li);
    });
    if ((b.alternatives || []).length) $('others').hidden = false;
  }
  function render(s) {
    if (s.token) token = s.token;
    if (s.state === 'admitted') { text('headline', s.message); location.href = s.enterUrl; return; }
    text('headline', s.message);
    text('place', s.state === 'waiting' ? (s.ahead === 0 ? 'You are next' : s.ahead + ' ahead of you') : '');
    text('estimate', s.estimateState === 'paused' ? 'Admissions are paused: no wait can be told until they resume.' : s.estimate ? 'Estimated wait: ' + s.estimate : '');
    if (s.state === 'expired' || s.state === 'left' || s.state === 'finished') { $('again').hidden = false; return; }
    if (s.pollAfterMs) setTimeout(poll, s.pollAfterMs);
  }
  function join() {
    fetch(api + '/join', { method: 'POST', credentials: 'same-origin' }).then(function (r) {
      return r.json().then(function (b) {
        if (r.status === 410) return soldOut(b);
        if (r.status === 429) { text('headline', b.message); return setTimeout(join, (Number(r.headers.get('retry-after')) || 5) * 1000); }
        if (!r.ok) { text('headline', b.message || 'Something went wrong; retrying.'); return setTimeout(join, 3000); }
        token = b.token; render(b.status);
      });
    }).catch(function () { setTimeout(join, 3000); });
  }
  function poll() {
    fetch(api + '/status', { headers: { authorization: 'Bearer ' + token }, credentials: 'same-origin' }).then(function (r) {
      if (r.status === 401 || r.status === 403) return join();
      if (!r.ok) throw new Error(String(r.status));
      return r.json().then(render);
    }).catch(function () { setTimeout(poll, 3000); });
  }
  $('join').hidden = true;
  join();
})();
</script>`);
  return page(
    `Waiting room · ${show.title}`,
    html`${heading(show)}
<div class="card" aria-live="polite">
<p id="headline">Joining the line…</p>
<p class="big" id="place"></p>
<p id="estimate" class="muted"></p>
<form id="join" method="post" action="/waiting-room/${show.showId}/join"><button>Join the line</button></form>
<p id="again" hidden><a class="button" href="/waiting-room/${show.showId}">Join again</a></p>
</div>
<div id="others" hidden><h2>Other shows of ${show.title}</h2><ul id="alternatives"></ul></div>
<p class="muted">Keep this page open: it moves on to seat selection by itself when it is your turn. Reloading it, or opening it in another tab, keeps your place.</p>
${script}`,
  );
}

const alternativesList = (alternatives: Alternative[]) =>
  alternatives.length === 0
    ? html`<p>No other show of this movie has tickets left.</p>`
    : html`<h2>Other shows with tickets left</h2><ul>${alternatives.map(
        (a) => html`<li><a class="show" href="${a.url}">${a.cinemaName}, ${a.city} · ${ROOM_TYPES[a.roomType] ?? a.roomType} · ${new Date(a.startsAt).toISOString().slice(0, 16).replace('T', ' ')} UTC</a></li>`,
      )}</ul>`;

export function soldOutPage(show: ShowHeading, message: string, alternatives: Alternative[]): string {
  return page(`Sold out · ${show.title}`, html`${heading(show)}<div class="card"><p>${message}</p></div>${alternativesList(alternatives)}`);
}

export function messagePage(title: string, message: string, refreshSeconds?: number, refreshTo?: string): string {
  const head = refreshSeconds
    ? refreshTo ? html`<meta http-equiv="refresh" content="${refreshSeconds};url=${refreshTo}">` : html`<meta http-equiv="refresh" content="${refreshSeconds}">`
    : new Html('');
  return page(title, html`<h1>${title}</h1><div class="card"><p>${message}</p></div>`, head);
}

/** Without JavaScript: the visitor's status, refreshing itself as often as the status says. */
export function statusPage(show: ShowHeading, status: PublicStatus): string {
  const refresh =
    status.state === 'admitted'
      ? html`<meta http-equiv="refresh" content="0;url=${status.enterUrl}">`
      : status.pollAfterMs
        ? html`<meta http-equiv="refresh" content="${Math.max(1, Math.round(status.pollAfterMs / 1000))}">`
        : new Html('');
  const body =
    status.state === 'admitted'
      ? html`<p>${status.message}</p><p><a class="button" href="${status.enterUrl}">Choose your seats</a></p>`
      : html`<p>${status.message}</p>
${status.state === 'waiting' ? html`<p class="big">${status.ahead === 0 ? 'You are next' : `${status.ahead} ahead of you`}</p><p class="muted">${status.estimateState === 'paused' ? 'Admissions are paused: no wait can be told until they resume.' : `Estimated wait: ${status.estimate}`}</p>` : ''}
${status.state === 'expired' || status.state === 'left' || status.state === 'finished' ? html`<form method="post" action="/waiting-room/${show.showId}/join"><button>Join again</button></form>` : ''}
${status.state === 'waiting' || status.state === 'pre_queue' ? html`<form method="post" action="/waiting-room/${show.showId}/leave"><button class="secondary">Leave the line</button></form>` : ''}`;
  return page(`Waiting room · ${show.title}`, html`${heading(show)}<div class="card">${body}</div>`, refresh);
}
