import { clientScript, html, page, type Translator } from '@premiere/runtime';

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

export function orderPage(i: Translator, orderId: string): string {
  const script = clientScript(i, null, `${REFUSAL_WORDS}
(function () {
  var id = ${JSON.stringify(orderId)};
  function $(x) { return document.getElementById(x); }
  var STATES = {
    pending_payment: t('order.state.pending_payment'),
    awaiting_payment: t('order.state.awaiting_payment'),
    confirmed: t('order.state.confirmed'),
    expired: t('order.state.expired'),
    cancelled: t('order.state.cancelled'),
    refund_required: t('order.state.refund_required')
  };
  var TYPES = { full: t('order.type.full'), half: t('order.type.half') };
  // The payment provider's reasons are English words for machines (process-payment's provider.ts).
  var REFUSALS = { 'declined': t('order.refusal.declined'), 'insufficient funds': t('order.refusal.insufficientFunds'), 'provider unavailable': t('order.refusal.providerUnavailable') };
  function show(o) {
    $('state').textContent = STATES[o.state] || o.state;
    $('state').setAttribute('data-state', o.state);
    $('lines').textContent = o.seats.map(function (s) { return t('order.seatLine', { seat: s.seat, type: TYPES[s.ticketType] || s.ticketType, price: money(s.priceCents, o.currency) }); })
      .concat(o.extras.map(function (e) { return t('order.extraLine', { quantity: e.quantity, name: e.name, price: money(e.priceCents, o.currency) }); })).join(' · ');
    $('total').textContent = money(o.totalCents, o.currency);
    $('reason').textContent = o.rejectionReason ? t('order.refused', { reason: REFUSALS[o.rejectionReason] || t('order.refusal.other') }) : '';
    $('pay').hidden = o.state !== 'pending_payment';
    $('giveup').hidden = o.state !== 'pending_payment';
    $('tickets').textContent = '';
    o.tickets.forEach(function (tk) { var li = document.createElement('li'), a = document.createElement('a'); li.className = 'card'; a.href = tk.url; a.textContent = t('order.ticket', { seat: tk.seat, code: tk.code }); li.appendChild(a); $('tickets').appendChild(li); });
    // The hold's end as the cinema's clock shows it, and the time left, counted down.
    if (o.state === 'pending_payment') $('deadline').textContent = t('order.heldUntil', { time: when(o.holdExpiresAt, 'time', o.timeZone) });
    else $('deadline').textContent = '';
    countDown(o.state === 'pending_payment' ? Date.parse(o.holdExpiresAt) : null);
    if (o.state === 'awaiting_payment') setTimeout(load, 1000);
    // Given up or run out, the visit is over: more seats mean the waiting room again.
    $('again').hidden = o.state !== 'expired' && o.state !== 'cancelled';
    $('again').href = '/waiting-room/' + o.showId;
  }
  // The time left to pay, on the server's clock (the Date of its last answer, against ours); at
  // zero the order is read again: the server expires the hold and the page says so, with no reload.
  var skew = 0, endsAt = null, timer = null;
  function tick() {
    var ms = endsAt - (Date.now() + skew);
    if (ms <= 0) { countDown(null); setTimeout(load, 500); return; }
    var s = Math.ceil(ms / 1000);
    $('countdown').textContent = t('order.timeLeft', { time: Math.floor(s / 60) + ':' + String(s % 60).padStart(2, '0') });
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
  }
  function load() {
    fetch('/checkout/api/orders/' + id, { credentials: 'same-origin' }).then(function (r) {
      var date = Date.parse(r.headers.get('date') || '');
      // The header counts whole seconds: only a clock off by more than that is corrected.
      if (!isNaN(date)) skew = Math.abs(date - Date.now()) > 2000 ? date + 500 - Date.now() : 0;
      return r.json().then(function (b) { if (r.ok) show(b); else refused(r.status, b); });
    });
  }
  $('pay').onsubmit = function (e) {
    e.preventDefault();
    fetch('/checkout/api/orders/' + id + '/payment', { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ paymentToken: $('token').value }) })
      .then(function (r) { return r.json(); }).then(function (b) { if (b.statusCode >= 400) $('reason').textContent = refusalText(b); load(); });
  };
  $('giveup').onclick = function () { fetch('/checkout/api/orders/' + id, { method: 'DELETE', credentials: 'same-origin' }).then(load); };
  load();
})();`);
  return page(
    i.t('order.title'),
    html`<h1>${i.t('order.title')}</h1>
<div class="card" aria-live="polite"><p><strong id="state">…</strong></p><p id="lines"></p><p>${i.t('order.total')}: <strong id="total"></strong></p><p id="deadline" class="muted"></p><p id="countdown" class="countdown" hidden></p><p id="reason"></p></div>
<form id="pay" hidden><label>${i.t('order.card')} <input id="token" value="tok_visa" autocomplete="off"></label> <button>${i.t('order.pay')}</button></form>
<p><button id="giveup" hidden class="secondary">${i.t('order.giveUp')}</button></p>
<p><a id="again" class="button" hidden href="/">${i.t('seats.toWaitingRoom')}</a></p>
<ul id="tickets"></ul>
${script}`,
    undefined,
    { i18n: i, path: `/checkout/orders/${orderId}` },
  );
}
