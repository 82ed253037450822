import { html, Html, page } from '@premiere/runtime';

/**
 * The protected zone's pages: the seat map to choose from, and the order (hold countdown, payment,
 * tickets). Server-rendered shells; their script talks to the JSON API with the zone cookie.
 */
export function seatSelectionPage(showId: string, extras: { id: string; name: string; priceCents: number }[], currency: string): string {
  const script = new Html(`<script>
(function () {
  var show = ${JSON.stringify(showId)}, chosen = {};
  function $(id) { return document.getElementById(id); }
  // A refusal's words, and where to go next: the open order, or the waiting room once the visit is over.
  function say(b) {
    var m = $('message'); m.textContent = b.message + (b.seats ? ': ' + b.seats.join(', ') : '');
    var to = b.order ? { href: '/checkout/orders/' + b.order.orderId, text: 'Go to your order' } : b.waitingRoom ? { href: b.waitingRoom, text: 'Back to the waiting room' } : null;
    if (to) { var a = document.createElement('a'); a.className = 'button'; a.href = to.href; a.textContent = to.text; m.appendChild(document.createElement('br')); m.appendChild(a); }
  }
  function money(c) { return ${JSON.stringify(currency)} + ' ' + (c / 100).toFixed(2); }
  function draw(map) {
    var grid = $('map'); grid.textContent = '';
    map.rows.forEach(function (row) {
      var line = document.createElement('div'); line.className = 'row';
      var label = document.createElement('span'); label.className = 'label'; label.textContent = row.row; line.appendChild(label);
      row.seats.forEach(function (s) {
        var b = document.createElement('button'); b.type = 'button'; b.textContent = s.number; b.title = s.seat;
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
      ['full', 'half'].forEach(function (t) { var o = document.createElement('option'); o.value = t; o.textContent = t === 'full' ? 'Full price' : 'Half price'; o.selected = chosen[seat] === t; sel.appendChild(o); });
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
    $('hold').disabled = true; $('message').textContent = 'Holding your seats…';
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
})();
</script>`);
  return page(
    'Choose your seats',
    html`<h1>Choose your seats</h1>
<p id="message" class="muted" aria-live="polite">Tap free seats; held and taken ones are greyed out.</p>
<div id="map" class="card seatmap"></div>
<h2>Your seats</h2><ul id="chosen"></ul>
${extras.length ? html`<h2>Extras</h2><ul>${extras.map((e) => html`<li><label>${e.name} (${currency} ${(e.priceCents / 100).toFixed(2)}) <input type="number" min="0" max="20" value="0" data-extra="${e.id}" style="width:4em"></label></li>`)}</ul>` : ''}
<p><button id="hold" disabled>Hold these seats</button></p>
<style>.seatmap .row{display:grid;grid-template-columns:repeat(30,1.9rem);gap:.2rem;margin:.2rem 0}.seat{padding:.2rem;border-radius:.3rem;border:1px solid #0a66c2;background:#fff;color:#0a66c2;font-size:.75rem}.seat.held,.seat.taken{background:#ddd;border-color:#ccc;color:#999}.seat.chosen{background:#0a66c2;color:#fff}.label{font-weight:700}</style>
${script}`,
  );
}

export function orderPage(orderId: string): string {
  const script = new Html(`<script>
(function () {
  var id = ${JSON.stringify(orderId)};
  function $(x) { return document.getElementById(x); }
  function money(o, c) { return o.currency + ' ' + (c / 100).toFixed(2); }
  function show(o) {
    $('state').textContent = { pending_payment: 'Seats held: pay before the hold runs out', awaiting_payment: 'Payment in progress…', confirmed: 'Confirmed: here are your tickets', expired: 'The hold ran out', cancelled: 'Given up', refund_required: 'Your seats were lost; your payment will be refunded' }[o.state] || o.state;
    $('lines').textContent = o.seats.map(function (s) { return s.seat + ' (' + s.ticketType + ') ' + money(o, s.priceCents); }).concat(o.extras.map(function (e) { return e.quantity + ' × ' + e.name + ' ' + money(o, e.priceCents); })).join(' · ');
    $('total').textContent = money(o, o.totalCents);
    $('reason').textContent = o.rejectionReason ? 'The last payment was refused: ' + o.rejectionReason + '. Try again or another card.' : '';
    $('pay').hidden = o.state !== 'pending_payment';
    $('giveup').hidden = o.state !== 'pending_payment';
    $('tickets').textContent = '';
    o.tickets.forEach(function (t) { var li = document.createElement('li'), a = document.createElement('a'); li.className = 'card'; a.href = t.url; a.textContent = 'Seat ' + t.seat + ': ticket ' + t.code; li.appendChild(a); $('tickets').appendChild(li); });
    if (o.state === 'pending_payment') $('deadline').textContent = 'Held until ' + new Date(o.holdExpiresAt).toLocaleTimeString();
    else $('deadline').textContent = '';
    if (o.state === 'awaiting_payment') setTimeout(load, 1000);
    // Given up or run out, the visit is over: more seats mean the waiting room again.
    $('again').hidden = o.state !== 'expired' && o.state !== 'cancelled';
    $('again').href = '/waiting-room/' + o.showId;
  }
  function load() { fetch('/checkout/api/orders/' + id, { credentials: 'same-origin' }).then(function (r) { return r.json(); }).then(show); }
  $('pay').onsubmit = function (e) {
    e.preventDefault();
    fetch('/checkout/api/orders/' + id + '/payment', { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ paymentToken: $('token').value }) })
      .then(function (r) { return r.json(); }).then(function (b) { if (b.message) $('reason').textContent = b.message; load(); });
  };
  $('giveup').onclick = function () { fetch('/checkout/api/orders/' + id, { method: 'DELETE', credentials: 'same-origin' }).then(load); };
  load();
})();
</script>`);
  return page(
    'Your order',
    html`<h1>Your order</h1>
<div class="card" aria-live="polite"><p><strong id="state">…</strong></p><p id="lines"></p><p>Total: <strong id="total"></strong></p><p id="deadline" class="muted"></p><p id="reason"></p></div>
<form id="pay" hidden><label>Card (the payment provider's token) <input id="token" value="tok_visa" autocomplete="off"></label> <button>Pay</button></form>
<p><button id="giveup" hidden class="secondary">Give up these seats</button></p>
<p><a id="again" class="button" hidden href="/">Back to the waiting room</a></p>
<ul id="tickets"></ul>
${script}`,
  );
}
