import { clientScript, html, Html, page, showHeading, type MessageKey, type Translator } from '@premiere/runtime';
import type { OrderView } from './orders';

/**
 * The protected zone's pages: the seat map to choose from, and the order (hold countdown, payment,
 * tickets). Server-rendered shells in the visitor's language; their script talks to the JSON API
 * with the zone cookie, and says the API's refusals by their `reason` (the `message` is English,
 * for apps).
 */
const REFUSAL_WORDS = `function refusalText(b) {
  switch (b.reason) {
    case 'seats_taken': return t('error.seatsTaken', { seats: (b.seats || []).join(', ') });
    case 'no_such_seats': return t('error.noSuchSeats', { seats: (b.seats || []).join(', ') });
    case 'open_order': return t('error.openOrder');
    case 'visit_seats': return t('error.visitSeats');
    case 'network_share': return t('error.networkShare');
    case 'busy': return t('error.busy');
    case 'hold_expired': return t('error.holdExpired');
    case 'order_closed': return t('error.orderClosed');
    case 'visit_over': return t('error.visitOver');
    case 'not_admitted': return t('error.notAdmitted');
  }
  if (b.waitingRoom) return b.statusCode === 410 ? t('error.visitOver') : t('error.notAdmitted');
  return t('error.generic');
}`;

export function seatSelectionPage(i: Translator, showId: string, extras: { id: string; name: string; priceCents: number }[], currency: string): string {
  const script = clientScript(i, null, `${REFUSAL_WORDS}
(function () {
  var show = ${JSON.stringify(showId)}, chosen = {};
  function $(id) { return document.getElementById(id); }
  // A refusal's words, and where to go next: the open order, or the waiting room once the visit is over.
  function say(b) {
    var m = $('message'); m.textContent = refusalText(b);
    var to = b.order ? { href: '/checkout/orders/' + b.order.orderId, text: t('seats.toOrder') } : b.waitingRoom ? { href: b.waitingRoom, text: t('seats.toWaitingRoom') } : null;
    if (to) { var a = document.createElement('a'); a.className = 'button'; a.href = to.href; a.textContent = to.text; m.appendChild(document.createElement('br')); m.appendChild(a); }
  }
  function draw(map) {
    var grid = $('map'); grid.textContent = '';
    map.rows.forEach(function (row) {
      var line = document.createElement('div'); line.className = 'row';
      var label = document.createElement('span'); label.className = 'label'; label.textContent = row.row; line.appendChild(label);
      row.seats.forEach(function (s) {
        var b = document.createElement('button'); b.type = 'button'; b.textContent = s.number; b.title = t('seats.seat', { seat: s.seat });
        b.className = 'seat ' + s.status + (chosen[s.seat] ? ' chosen' : ''); b.style.gridColumn = s.col + 1;
        b.disabled = s.status !== 'free';
        b.onclick = function () {
          if (chosen[s.seat]) delete chosen[s.seat]; else if (Object.keys(chosen).length < map.maxSeatsPerOrder) chosen[s.seat] = 'full';
          draw(map); list();
        };
        line.appendChild(b);
      });
      grid.appendChild(line);
    });
  }
  function list() {
    var ul = $('chosen'); ul.textContent = '';
    Object.keys(chosen).forEach(function (seat) {
      var li = document.createElement('li'), sel = document.createElement('select');
      [['full', t('ticketType.full')], ['half', t('ticketType.half')]].forEach(function (type) { var o = document.createElement('option'); o.value = type[0]; o.textContent = type[1]; o.selected = chosen[seat] === type[0]; sel.appendChild(o); });
      sel.onchange = function () { chosen[seat] = sel.value; };
      li.textContent = seat + ' '; li.appendChild(sel); ul.appendChild(li);
    });
    $('hold').disabled = Object.keys(chosen).length === 0;
  }
  function load() {
    fetch('/checkout/api/shows/' + show + '/seats', { credentials: 'same-origin' }).then(function (r) {
      return r.json().then(function (b) {
        if (!r.ok) { say(b); if (r.status === 503) setTimeout(load, (b.retryAfterSeconds || 2) * 1000); return; }
        draw(b); list();
      });
    });
  }
  $('hold').onclick = function () {
    var extras = [];
    document.querySelectorAll('[data-extra]').forEach(function (i) { var q = Number(i.value); if (q > 0) extras.push({ extraId: i.getAttribute('data-extra'), quantity: q }); });
    var seats = Object.keys(chosen).map(function (s) { return { seat: s, ticketType: chosen[s] }; });
    $('hold').disabled = true; $('message').textContent = t('seats.holding');
    fetch('/checkout/api/shows/' + show + '/orders', { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ seats: seats, extras: extras }) })
      .then(function (r) { return r.json().then(function (b) {
        if (r.ok) { location.href = '/checkout/orders/' + b.orderId; return; }
        say(b);
        if (b.order || b.waitingRoom) return; // nothing more to choose in this visit
        (b.seats || []).forEach(function (s) { delete chosen[s]; });
        load();
      }); });
  };
  load();
})();`);
  return page(
    i.t('seats.title'),
    html`<h1>${i.t('seats.title')}</h1>
<p id="message" class="muted" aria-live="polite">${i.t('seats.hint')}</p>
<div id="map" class="card seatmap"></div>
<h2>${i.t('seats.yours')}</h2><ul id="chosen"></ul>
${extras.length ? html`<h2>${i.t('seats.extras')}</h2><ul>${extras.map((e) => html`<li><label>${e.name} (${i.money(e.priceCents, currency)}) <input type="number" min="0" max="20" value="0" data-extra="${e.id}" style="width:4em"></label></li>`)}</ul>` : ''}
<p><button id="hold" disabled>${i.t('seats.hold')}</button></p>
<style>.seatmap .row{display:grid;grid-template-columns:repeat(30,1.9rem);gap:.2rem;margin:.2rem 0}.seat{padding:.2rem;border-radius:.3rem;border:1px solid #0a66c2;background:#fff;color:#0a66c2;font-size:.75rem}.seat.held,.seat.taken{background:#ddd;border-color:#ccc;color:#999}.seat.chosen{background:#0a66c2;color:#fff}.label{font-weight:700}</style>
${script}`,
    undefined,
    // Back through the zone pass (the cookie), never with the access token in the link.
    { i18n: i, path: `/checkout/${showId}` },
  );
}

const ORDER_STATES: Record<string, MessageKey> = {
  pending_payment: 'order.state.pending_payment', awaiting_payment: 'order.state.awaiting_payment', confirmed: 'order.state.confirmed',
  expired: 'order.state.expired', cancelled: 'order.state.cancelled', refund_required: 'order.state.refund_required',
};
const TICKET_TYPES: Record<'full' | 'half', MessageKey> = { full: 'ticketType.full', half: 'ticketType.half' };

/** What the order page (and the ticket page) look like beside the layout's: the status, errors, the summary, the dialog, print. */
export const ORDER_STYLE = `.card>h2:first-child,.show-card .show-title{margin:.2rem 0 .4rem}.show-details{margin:.2rem 0}
.status{border-left:.4rem solid #0a66c2}.status[data-state=confirmed]{border-left-color:#1e7d32}
.status[data-state=expired],.status[data-state=cancelled],.status[data-state=refund_required],.status[data-state=unavailable]{border-left-color:#8a5a00}
.status p{margin:.3rem 0}.countdown{font-size:1.35rem;font-weight:700;font-variant-numeric:tabular-nums}.countdown.urgent{color:#b3261e}
.alert{display:flex;gap:.6rem;align-items:flex-start;background:#fdecea;color:#8c1d18;border:1px solid #b3261e;border-left:.4rem solid #b3261e;border-radius:.5rem;padding:.7rem 1rem;margin:.5rem 0}
.alert .icon{flex:none;display:inline-grid;place-items:center;width:1.4rem;height:1.4rem;border-radius:50%;background:#b3261e;color:#fff;font-weight:700}
.summary{width:100%;border-collapse:collapse}.summary th,.summary td{text-align:left;padding:.5rem 0;border-bottom:1px solid #e4e4e4;font-weight:400;vertical-align:top}
.summary thead th{font-size:.85rem;color:#595959}.summary .num{text-align:right;white-space:nowrap;padding-left:1rem}.summary tfoot th,.summary tfoot td{border-bottom:0;font-weight:700;font-size:1.15rem}
.pay label{display:block;font-weight:600;margin:.3rem 0}.pay input{font:inherit;width:100%;box-sizing:border-box;padding:.6rem;border:1px solid #767676;border-radius:.4rem;min-height:44px}
.hint{font-size:.9rem;color:#595959;margin:.4rem 0}.actions{margin:.8rem 0 0}
button.primary,.button.primary{font-weight:700;min-height:48px;width:100%}button.secondary,.button.secondary{min-height:44px;background:#fff;color:#0a66c2;border:1px solid #0a66c2}
button.danger{background:#b3261e;color:#fff;min-height:44px}.way-on{display:flex;flex-wrap:wrap;gap:.6rem}.way-on .button{display:flex;align-items:center;justify-content:center;text-align:center;flex:1 1 14rem;box-sizing:border-box}
@media (min-width:40rem){button.primary,.button.primary{width:auto}}
dialog{border:0;border-radius:.6rem;padding:1.2rem;max-width:min(28rem,calc(100vw - 2rem));box-shadow:0 8px 32px #0005}dialog::backdrop{background:#000a}
dialog h2{margin-top:0}dialog form{display:flex;flex-wrap:wrap;gap:.6rem;justify-content:flex-end}dialog form button{flex:1 1 12rem}
.spinner{display:inline-block;width:1rem;height:1rem;border:3px solid #cfe0f5;border-top-color:#0a66c2;border-radius:50%;animation:spin 1s linear infinite;vertical-align:-.15rem;margin-right:.4rem}
@keyframes spin{to{transform:rotate(360deg)}}@media (prefers-reduced-motion:reduce){.spinner{animation-duration:4s}}
.ticket-links a{display:flex;align-items:center;min-height:44px;box-sizing:border-box;padding:.6rem .9rem;margin:.4rem 0;border:1px solid #0a66c2;border-radius:.4rem;color:#0a66c2;font-weight:600;text-decoration:none}.ticket-links a:hover{background:#eef4fb}`;

/**
 * The order: the show, its state (with a countdown to the hold's end while it holds seats), the
 * order summed up seat by seat, the payment form, giving up after a confirmation, the tickets once
 * confirmed, and the way on once it has ended. `order`: the buyer's own (null for anyone else:
 * the page is bare, and its script says the order is not found in this browser).
 */
export function orderPage(i: Translator, orderId: string, order: OrderView | null): string {
  const script = clientScript(i, null, `${REFUSAL_WORDS}
(function () {
  var id = ${JSON.stringify(orderId)}, MINE = ${JSON.stringify(order !== null)};
  function $(x) { return document.getElementById(x); }
  var STATES = {
    pending_payment: t('order.state.pending_payment'),
    awaiting_payment: t('order.state.awaiting_payment'),
    confirmed: t('order.state.confirmed'),
    expired: t('order.state.expired'),
    cancelled: t('order.state.cancelled'),
    refund_required: t('order.state.refund_required')
  };
  var TYPES = { full: t('ticketType.full'), half: t('ticketType.half') };
  // The payment provider's reasons are English words for machines (process-payment's provider.ts).
  var REFUSALS = { 'declined': t('order.refusal.declined'), 'insufficient funds': t('order.refusal.insufficientFunds'), 'provider unavailable': t('order.refusal.providerUnavailable') };
  // An error the visitor must not miss: in the alert region (read out at once), styled as one.
  // A refusal stays until the next attempt; a lost connection until the next answer.
  var errorKind = null, errorText = null;
  function fail(text, kind) {
    if (text === errorText) return;
    errorText = text; errorKind = text ? kind || 'request' : null;
    var box = $('error'); box.textContent = '';
    if (!text) return;
    var p = document.createElement('p'), icon = document.createElement('span'), label = document.createElement('strong');
    p.className = 'alert'; icon.className = 'icon'; icon.setAttribute('aria-hidden', 'true'); icon.textContent = '!';
    label.textContent = t('order.errorLabel');
    p.appendChild(icon); var words = document.createElement('span'); words.appendChild(label); words.appendChild(document.createTextNode(' ' + text)); p.appendChild(words);
    box.appendChild(p);
  }
  // Every request says what came back, even an answer that is not JSON (a proxy's error page).
  function request(method, url, body) {
    var init = { method: method, credentials: 'same-origin', headers: {} };
    if (body) { init.headers['content-type'] = 'application/json'; init.body = JSON.stringify(body); }
    return fetch(url, init).then(function (r) {
      return r.text().then(function (text) { var b = {}; try { b = text ? JSON.parse(text) : {}; } catch (e) { b = {}; } return { ok: r.ok, status: r.status, body: b, date: r.headers.get('date') }; });
    });
  }
  var state = null, paying = false;
  function show(o) {
    if (!MINE) { location.reload(); return; } // the page was made for someone else: made again for this browser
    state = o.state;
    var total = money(o.totalCents, o.currency), open = o.state === 'pending_payment', ended = o.state === 'expired' || o.state === 'cancelled' || o.state === 'refund_required';
    var EXPLAIN = {
      awaiting_payment: t('order.explain.awaiting_payment'),
      confirmed: t('order.explain.confirmed'),
      expired: t('order.explain.expired'),
      cancelled: t('order.explain.cancelled'),
      refund_required: t('order.explain.refund_required', { total: total })
    };
    $('state').textContent = STATES[o.state] || o.state;
    $('state').setAttribute('data-state', o.state);
    $('status').setAttribute('data-state', o.state);
    $('explain').textContent = EXPLAIN[o.state] || '';
    $('progress').hidden = o.state !== 'awaiting_payment';
    $('pay').hidden = !open;
    $('giveup').hidden = !open;
    if (!paying) $('pay-button').disabled = !open;
    // (not over a failed payment request's error: the reason is the attempt before's)
    if (open && o.rejectionReason) { if (errorKind !== 'request') fail(t('order.refused', { reason: REFUSALS[o.rejectionReason] || t('order.refusal.other') }), 'refused'); }
    else if (!open || errorKind === 'network') fail(null);
    var types = {};
    o.seats.forEach(function (s) { types[s.seat] = TYPES[s.ticketType] || s.ticketType; });
    $('tickets').textContent = '';
    o.tickets.forEach(function (tk) { var li = document.createElement('li'), a = document.createElement('a'); a.href = tk.url; a.textContent = t('order.ticket', { seat: tk.seat, type: types[tk.seat] || '', code: tk.code }); li.appendChild(a); $('tickets').appendChild(li); });
    $('tickets-section').hidden = o.tickets.length === 0;
    // The hold's end as the cinema's clock shows it, and the time left, counted down.
    $('deadline').textContent = open ? t('order.heldUntil', { time: when(o.holdExpiresAt, 'time', o.timeZone) }) : '';
    countDown(open ? Date.parse(o.holdExpiresAt) : null);
    if (o.state === 'awaiting_payment') setTimeout(load, 1000);
    // Given up, run out or refunded, the visit is over: more seats mean the waiting room again, or another show.
    $('way-on').hidden = !ended;
  }
  // The time left to pay, on the server's clock (the Date of its last answer, against ours); at
  // zero the order is read again: the server expires the hold and the page says so, with no reload.
  var skew = 0, endsAt = null, timer = null;
  function tick() {
    var ms = endsAt - (Date.now() + skew);
    if (ms <= 0) { countDown(null); setTimeout(load, 500); return; }
    var s = Math.ceil(ms / 1000);
    $('countdown').textContent = t('order.timeLeft', { time: Math.floor(s / 60) + ':' + String(s % 60).padStart(2, '0') });
    $('countdown').className = s <= 30 ? 'countdown urgent' : 'countdown';
  }
  function countDown(at) {
    endsAt = at;
    $('countdown').hidden = at === null;
    if (at === null) { clearInterval(timer); timer = null; return; }
    if (!timer) timer = setInterval(tick, 1000);
    tick();
  }
  // Not this browser's (another device, cookies cleared): the order is only its buyer's session's.
  function refused(status, b) {
    $('state').textContent = status === 401 || status === 404 ? t('order.notYours') : refusalText(b);
    $('state').setAttribute('data-state', 'unavailable');
    $('status').setAttribute('data-state', 'unavailable');
  }
  function load() {
    return request('GET', '/checkout/api/orders/' + id).then(function (res) {
      var date = Date.parse(res.date || '');
      // The header counts whole seconds: only a clock off by more than that is corrected.
      if (!isNaN(date)) skew = Math.abs(date - Date.now()) > 2000 ? date + 500 - Date.now() : 0;
      if (res.ok) show(res.body); else refused(res.status, res.body);
    }).catch(function () {
      // No answer at all: said, and tried again.
      fail(t('order.error.network'), 'network');
      setTimeout(load, 3000);
    });
  }
  if (MINE) {
    var payLabel = $('pay-button').textContent;
    $('pay').onsubmit = function (e) {
      e.preventDefault();
      if (paying) return; // one payment at a time: a second tap sends nothing
      paying = true; $('pay-button').disabled = true; $('pay-button').textContent = t('order.paying');
      fail(null); // a new attempt: the last one's error is behind it
      request('POST', '/checkout/api/orders/' + id + '/payment', { paymentToken: $('token').value.trim() })
        .then(function (res) {
          if (!res.ok) fail(res.status === 400 && !res.body.reason ? t('order.error.badToken') : refusalText(res.body), 'request');
          return load();
        })
        .catch(function () { fail(t('order.error.payNetwork'), 'request'); })
        .then(function () { paying = false; $('pay-button').textContent = payLabel; $('pay-button').disabled = state !== 'pending_payment'; });
    };
    // Giving up frees the seats and ends the visit: only after the visitor confirms it in the dialog.
    var dialog = $('confirm-giveup');
    $('giveup').onclick = function () { dialog.returnValue = ''; dialog.showModal(); };
    dialog.addEventListener('close', function () {
      if (dialog.returnValue !== 'giveup') { $('giveup').focus(); return; } // kept (or Esc): back where they were
      $('giveup').disabled = true; $('explain').textContent = t('order.givingUp');
      request('DELETE', '/checkout/api/orders/' + id)
        .then(function (res) { if (!res.ok) fail(refusalText(res.body)); return load(); })
        .then(function () { if (state === 'cancelled') $('again').focus(); })
        .catch(function () { fail(t('order.error.network'), 'request'); })
        .then(function () { $('giveup').disabled = false; });
    });
  }
  load();
})();`);
  const body = order ? orderBody(i, order) : html`<h1>${i.t('order.title')}</h1>
<section id="status" class="card status" aria-live="polite"><p><strong id="state">…</strong></p><p id="explain"></p></section>
<div id="error" role="alert"></div>`;
  return page(
    i.t('order.title'),
    html`${body}
<style>${new Html(ORDER_STYLE)}</style>
${script}`,
    undefined,
    { i18n: i, path: `/checkout/orders/${orderId}` },
  );
}

function orderBody(i: Translator, order: OrderView): Html {
  const money = (cents: number) => i.money(cents, order.currency);
  const open = order.state === 'pending_payment';
  return html`<h1>${i.t('order.title')}</h1>
<section class="card show-card">${showHeading(i, order.show, 2)}</section>
<section id="status" class="card status" data-state="${order.state}">
<div aria-live="polite" aria-atomic="true"><p><span id="progress" class="spinner" aria-hidden="true" hidden></span><strong id="state" data-state="${order.state}">${ORDER_STATES[order.state] ? i.t(ORDER_STATES[order.state]) : order.state}</strong></p><p id="explain"></p></div>
<p id="countdown" class="countdown" role="timer" hidden></p>
<p id="deadline" class="muted"></p>
</section>
<div id="error" role="alert"></div>
<section id="tickets-section" class="card" aria-labelledby="tickets-title" hidden><h2 id="tickets-title">${i.t('order.tickets')}</h2><ul id="tickets" class="ticket-links"></ul></section>
<nav id="way-on" class="card way-on" aria-label="${i.t('order.wayOn')}" hidden><a id="again" class="button primary" href="/waiting-room/${order.showId}">${i.t('order.backToLine')}</a><a id="others" class="button secondary" href="/movies/${order.movieId}">${i.t('order.otherShows')}</a></nav>
<section class="card" aria-labelledby="summary-title">
<h2 id="summary-title">${i.t('order.summary')}</h2>
<table class="summary">
<thead><tr><th scope="col">${i.t('order.item')}</th><th scope="col" class="num">${i.t('order.price')}</th></tr></thead>
<tbody>${order.seats.map((s) => html`<tr><th scope="row"><span>${i.t('order.seatItem', { seat: s.seat })}</span> <span class="muted">${i.t(TICKET_TYPES[s.ticketType])}</span></th><td class="num">${money(s.priceCents)}</td></tr>`)}${order.extras.map(
    (e) => html`<tr><th scope="row"><span>${i.t('order.extraItem', { quantity: e.quantity, name: e.name })}</span></th><td class="num">${money(e.priceCents)}</td></tr>`,
  )}</tbody>
<tfoot><tr><th scope="row">${i.t('order.total')}</th><td class="num"><strong id="total">${money(order.totalCents)}</strong></td></tr></tfoot>
</table>
</section>
<form id="pay" class="card pay" aria-labelledby="pay-title"${open ? '' : new Html(' hidden')}>
<h2 id="pay-title">${i.t('order.payTitle')}</h2>
<label for="token">${i.t('order.card')}</label>
<input id="token" name="paymentToken" value="tok_visa" autocomplete="off" autocapitalize="none" spellcheck="false" inputmode="text" aria-describedby="card-hint">
<p id="card-hint" class="hint">${i.t('order.cardHint')}</p>
<p class="actions"><button id="pay-button" type="submit" class="primary">${i.t('order.pay', { total: money(order.totalCents) })}</button></p>
</form>
<p><button id="giveup" type="button" class="secondary"${open ? '' : new Html(' hidden')}>${i.t('order.giveUp')}</button></p>
<dialog id="confirm-giveup" aria-labelledby="giveup-title" aria-describedby="giveup-text">
<h2 id="giveup-title">${i.t('order.giveUpTitle')}</h2>
<p id="giveup-text">${i.t('order.giveUpText', { seats: order.seats.map((s) => s.seat).join(', ') })}</p>
<form method="dialog"><button value="keep" class="primary" autofocus>${i.t('order.keep')}</button>
<button value="giveup" class="danger">${i.t('order.giveUpConfirm')}</button></form>
</dialog>`;
}
