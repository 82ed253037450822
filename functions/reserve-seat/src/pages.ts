import { showHeading } from '@premiere/contracts';
import { clientScript, html, Html, page, type MessageKey, type Translator } from '@premiere/web';
import type { OrderView } from './orders';
import type { ShowOnSale } from './show';

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

/**
 * The seat map's looks. A seat's state shows by more than its colour: free is an outline, yours is
 * filled, held by someone else is hatched with a dashed border (it may come free when their hold
 * runs out), sold is dark with a cross. On a touch screen, or one as narrow as a phone, a seat is
 * 44 px (the touch target) and a room wider than the screen scrolls sideways inside its card,
 * the rows' letters in a column of their own beside it (never over a seat), the screen's label kept
 * in sight; with a mouse, 32 px. The total and Hold stay at the bottom of the screen (a phone's
 * map is taller than it), and what the keyboard focuses is never left under them. Accessible seats say what they are for
 * by a sign (the wheelchair) or a bar under the number (solid: reduced mobility; dashed: companion).
 */
const SEAT_MAP_STYLE = `.sale{display:flex;flex-wrap:wrap;gap:.3rem 1.5rem;align-items:baseline}.prices{display:flex;flex-wrap:wrap;gap:.3rem 1.2rem}.prices li{margin:0}.small{font-size:.85rem}
.legend{display:flex;flex-wrap:wrap;gap:.4rem 1.1rem;margin:0 0 .8rem;font-size:.9rem}.legend li{display:flex;align-items:center;gap:.4rem;margin:0}
.swatch{display:inline-flex;align-items:center;justify-content:center;width:1.4rem;height:1.4rem;border-radius:.3rem .3rem .5rem .5rem;box-sizing:border-box}
.mapwrap{--seat:32px;--gap:3px;--label:1.3rem;--screen:2.6rem;display:flex;width:max-content;max-width:100%;margin:0 auto}
.seatmap-scroll{flex:1 1 auto;min-width:0;overflow-x:auto;overscroll-behavior-x:contain;padding:.2rem 0 .4rem}
.seatmap{width:max-content;min-width:100%}
.screen{box-sizing:border-box;height:var(--screen);margin:0 auto;width:70%;min-width:9rem;padding-top:.35rem;border-top:5px solid #8a94a3;border-radius:50% 50% 0 0/12px 12px 0 0;text-align:center;font-size:.75rem;letter-spacing:.3em;color:#555}
.screen span{display:inline-block;position:sticky;left:calc(50% - 2rem);right:calc(50% - 2rem)}
#map{display:grid;gap:var(--gap)}.row{display:grid;grid-template-columns:repeat(var(--cols,10),var(--seat)) var(--label);gap:var(--gap);justify-content:center}
.rowlabels{flex:none;display:grid;grid-auto-rows:var(--seat);gap:var(--gap);align-content:start;width:var(--label);padding-top:calc(.2rem + var(--screen))}
.label{display:flex;align-items:center;justify-content:center;font-weight:700;color:#444;font-size:.85rem}
.seat{box-sizing:border-box;width:var(--seat);height:var(--seat);padding:0;border-radius:.35rem .35rem .6rem .6rem;font-size:.8rem;font-weight:600;line-height:1;opacity:1}
.seat.free,.swatch.free{background:#fff;border:2px solid #0a66c2;color:#0a66c2}
.seat.chosen,.swatch.chosen{background:#0a66c2;border:2px solid #063f7a;color:#fff}
.seat.held,.swatch.held{background:repeating-linear-gradient(45deg,#d4d4d4 0 3px,#fff 3px 7px);border:2px dashed #767676;color:#444}
.seat.taken,.swatch.taken{background:#5c5c5c;border:2px solid #5c5c5c;color:#fff;font-size:0}
.seat.taken::after,.swatch.taken::after{content:"✕";font-size:.9rem}
.seat,.swatch{position:relative}.seat.access-wheelchair:not(.taken),.swatch.access-wheelchair{font-size:1.05rem}
.seat.access-reduced_mobility::before,.swatch.access-reduced_mobility::before,.seat.access-companion::before,.swatch.access-companion::before{content:"";position:absolute;left:3px;right:3px;bottom:2px;height:4px;border-radius:2px;background:#6d28d9}
.seat.access-companion::before,.swatch.access-companion::before{background:repeating-linear-gradient(90deg,#0f766e 0 4px,transparent 4px 7px)}
.access-for{flex-basis:100%}
.seat[aria-disabled=true]{cursor:not-allowed}
.seat:focus-visible{outline:3px solid #1d1d1f;outline-offset:2px;position:relative;z-index:2}
.skeleton{display:grid;gap:var(--gap)}.skeleton .bar{display:grid;grid-template-columns:repeat(8,var(--seat));gap:var(--gap);justify-content:center}
.skeleton span{height:var(--seat);border-radius:.35rem;background:#e2e2e2;animation:pulse 1s ease-in-out infinite alternate}@keyframes pulse{to{background:#f1f1f1}}
@media (prefers-reduced-motion:reduce){.skeleton span{animation:none}}
#message:not(:empty){background:#fff8e1;border-left:4px solid #b35c00;padding:.5rem .8rem;border-radius:.3rem}
#chosen li{display:flex;flex-wrap:wrap;align-items:center;gap:.4rem .8rem}
select,.extras input{font:inherit;min-height:2.2rem;padding:0 .4rem}button.remove{padding:.3rem .8rem}
.extras label{display:flex;justify-content:space-between;align-items:center;gap:.8rem;max-width:28rem}.extras input{width:4.5em;flex:none}.summary h2{margin-top:.3rem}
.lines li{display:flex;justify-content:space-between;gap:1rem}.total{font-size:1.2rem;margin:0}
html{scroll-padding-bottom:7rem}
.holdbar{position:sticky;bottom:0;z-index:3;display:flex;flex-wrap:wrap;align-items:center;justify-content:space-between;gap:.4rem 1rem;margin:.8rem -1rem 0;padding:.6rem 1rem calc(.6rem + env(safe-area-inset-bottom,0px));background:#fff;box-shadow:0 -2px 8px #0002}
.holdbar #hold-why{flex-basis:100%;margin:0}
#hold[aria-disabled=true]{background:#e4e4e7;color:#595959;cursor:not-allowed}
@media (pointer:coarse),(max-width:40rem){.mapwrap{--seat:44px;--gap:3px;--label:1.1rem}.mapcard{margin-left:-1rem;margin-right:-1rem;border-radius:0;padding-left:.4rem;padding-right:.4rem}.keys{display:none}select,.extras input,button.remove{min-height:44px}}`;

/** Grey rows where the map will be, while it loads (a card that is not blank). */
const SKELETON = html`<div class="skeleton" aria-hidden="true">${Array.from({ length: 6 }, () => html`<div class="bar">${Array.from({ length: 8 }, () => html`<span></span>`)}</div>`)}</div>`;

/** How often the open map is read again (and on the window's focus), so the buyer chooses among seats still free. */
const REFRESH_MS = 12_000;

/**
 * The seat map: the show, its prices per ticket type (the catalog's, which the order is charged),
 * the screen, the legend (with the room's kinds of accessible seat, if it has any), the seats and a
 * running total, refreshed while open.
 */
export function seatSelectionPage(i: Translator, sale: ShowOnSale & { maxSeats: number }): string {
  const { show, currency, prices, extras, maxSeats } = sale;
  const json = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');
  const script = clientScript(
    i,
    show.timeZone,
    `${REFUSAL_WORDS}
(function () {
  var show = ${json(show.showId)}, chosen = {}, max = ${maxSeats}, REFRESH_MS = ${REFRESH_MS};
  var PRICES = ${json({ full: prices.full, half: prices.half })}, CURRENCY = ${json(currency)};
  var EXTRAS = ${json(Object.fromEntries(extras.map((e) => [e.id, { name: e.name, priceCents: e.priceCents }])))};
  var TYPES = { full: t('ticketType.full'), half: t('ticketType.half') };
  var ACCESS = { wheelchair: t('seats.access.wheelchair'), companion: t('seats.access.companion'), reduced_mobility: t('seats.access.reduced_mobility') }, accessOf = {};
  var map = null, layout = '', buttons = {}, statusOf = {}, stop = null, holding = false, over = false, loading = false, timer = null, lastLoad = 0, limitSaid = false, listed = null, reads = 0;
  function $(id) { return document.getElementById(id); }
  function notice(text) { $('message').textContent = text; limitSaid = false; }
  // A refusal's words, and where to go next: the open order, or the waiting room once the visit is over.
  function say(b) {
    var m = $('message'); notice(refusalText(b));
    var to = b.order ? { href: '/checkout/orders/' + b.order.orderId, text: t('seats.toOrder') } : b.waitingRoom ? { href: b.waitingRoom, text: t('seats.toWaitingRoom') } : null;
    if (to) { var a = document.createElement('a'); a.className = 'button'; a.href = to.href; a.textContent = to.text; m.appendChild(document.createElement('br')); m.appendChild(a); }
  }
  function seatName(s) {
    var p = { row: s.row, number: s.number };
    var name = chosen[s.seat] ? t('seats.seat.chosen', p) : s.status === 'held' ? t('seats.seat.held', p) : s.status === 'taken' ? t('seats.seat.taken', p) : t('seats.seat.free', p);
    return ACCESS[s.accessibility] ? t('seats.seat.withAccess', { seat: name, kind: ACCESS[s.accessibility] }) : name;
  }
  // The rows' buttons, made once per layout: a refresh or a choice only changes their state, so
  // the keyboard's focus stays where it was.
  function build(m) {
    var grid = $('map'), letters = $('rowlabels'), cols = 0;
    m.rows.forEach(function (row) { row.seats.forEach(function (s) { cols = Math.max(cols, s.col); }); });
    grid.style.setProperty('--cols', cols);
    grid.textContent = ''; letters.textContent = ''; buttons = {}; statusOf = {};
    // A grid to assistive technology: rows, and a cell per seat at its place (an aisle is a gap in the indexes).
    grid.setAttribute('role', 'grid'); grid.setAttribute('aria-label', t('seats.map'));
    grid.setAttribute('aria-rowcount', m.rows.length); grid.setAttribute('aria-colcount', cols);
    m.rows.forEach(function (row, r) {
      var line = document.createElement('div'); line.className = 'row'; line.setAttribute('role', 'row'); line.setAttribute('aria-rowindex', r + 1); line.setAttribute('aria-label', t('seats.row', { row: row.row }));
      // The row's letter on both sides (the row's name already says it to a screen reader): on the
      // left in a column of its own, outside the part that scrolls, so that no seat slides under it.
      function label(into, col) { var l = document.createElement('span'); l.className = 'label'; l.setAttribute('aria-hidden', 'true'); l.textContent = row.row; if (col) l.style.gridColumn = col; into.appendChild(l); }
      label(letters);
      row.seats.forEach(function (s) {
        var cell = document.createElement('span'); cell.setAttribute('role', 'gridcell'); cell.setAttribute('aria-colindex', s.col); cell.style.gridColumn = s.col;
        // A wheelchair space shows the sign, not a number (its name says both).
        var b = document.createElement('button'); b.type = 'button'; b.textContent = s.accessibility === 'wheelchair' ? '♿' : s.number;
        b.setAttribute('data-seat', s.seat); b.setAttribute('data-row', r); b.setAttribute('data-col', s.col); b.tabIndex = -1;
        b.onclick = function () { if (b.getAttribute('aria-disabled') !== 'true') toggle(s.seat); };
        buttons[s.seat] = b; cell.appendChild(b); line.appendChild(cell);
      });
      label(line, cols + 1);
      grid.appendChild(line);
    });
  }
  function update() {
    map.rows.forEach(function (row) {
      row.seats.forEach(function (s) {
        var b = buttons[s.seat]; s.row = row.row; statusOf[s.seat] = s.status;
        b.className = 'seat ' + s.status + (chosen[s.seat] ? ' chosen' : '') + (ACCESS[s.accessibility] ? ' access-' + s.accessibility : '');
        // Not free: announced as unavailable, but never disabled, which would throw the focus of a
        // buyer standing on it to the page's top when someone holds it.
        if (s.status === 'free') b.removeAttribute('aria-disabled'); else b.setAttribute('aria-disabled', 'true');
        if (s.status === 'free') b.setAttribute('aria-pressed', chosen[s.seat] ? 'true' : 'false'); else b.removeAttribute('aria-pressed');
        b.setAttribute('aria-label', seatName(s));
      });
    });
    rove();
  }
  // The map is one Tab stop (a room has up to some 300 seats): one seat has tabindex 0, the arrow
  // keys move among them. The stop is the seat with the focus, else the last one focused while it
  // is still free, else the first chosen, else the first free (else the first seat); a refresh keeps it.
  function rove() {
    var order = Object.keys(buttons), active = document.activeElement, at = null;
    if (!order.length) return;
    var focused = active && active.getAttribute ? active.getAttribute('data-seat') : null;
    if (focused !== null && buttons[focused] === active) at = focused;
    else if (stop && buttons[stop] && statusOf[stop] === 'free') at = stop;
    else at = order.filter(function (s) { return chosen[s]; })[0] || order.filter(function (s) { return statusOf[s] === 'free'; })[0] || order[0];
    if (stop && buttons[stop] && stop !== at) buttons[stop].tabIndex = -1;
    stop = at; buttons[at].tabIndex = 0;
  }
  function toggle(seat) {
    if (chosen[seat]) delete chosen[seat];
    else if (Object.keys(chosen).length >= max) { notice(t('seats.limitReached', { count: max })); limitSaid = true; return; }
    else chosen[seat] = 'full';
    if (limitSaid) notice('');
    update(); list(); total();
  }
  // The chosen seats, each with its ticket type (labelled) and a way to take it off. Made again
  // only when the seats change (a refresh must not close a ticket type's picker or drop its focus),
  // the focus then put back where it was.
  function list() {
    var ul = $('chosen');
    // In the map's order (row by row), whatever the order they were chosen in.
    var order = Object.keys(buttons), seats = Object.keys(chosen).sort(function (a, b) { return order.indexOf(a) - order.indexOf(b); });
    if (seats.join(',') === listed) return;
    var had = ul.contains(document.activeElement) ? document.activeElement.id : null;
    listed = seats.join(','); ul.textContent = '';
    if (!seats.length) { var none = document.createElement('li'); none.className = 'muted'; none.textContent = t('seats.none'); ul.appendChild(none); }
    seats.forEach(function (seat) {
      var li = document.createElement('li'), label = document.createElement('label'), sel = document.createElement('select'), off = document.createElement('button');
      sel.id = 'type-' + seat; label.htmlFor = sel.id; label.textContent = t('seats.typeFor', { seat: seat });
      ['full', 'half'].forEach(function (type) { var o = document.createElement('option'); o.value = type; o.textContent = t('seats.typeOption', { type: TYPES[type], price: money(PRICES[type], CURRENCY) }); o.selected = chosen[seat] === type; sel.appendChild(o); });
      sel.onchange = function () { chosen[seat] = sel.value; total(); };
      off.type = 'button'; off.id = 'remove-' + seat; off.className = 'secondary remove'; off.textContent = t('seats.remove'); off.setAttribute('aria-label', t('seats.removeSeat', { seat: seat }));
      off.onclick = function () { toggle(seat); if (buttons[seat]) buttons[seat].focus(); };
      li.appendChild(label); li.appendChild(sel); li.appendChild(off);
      if (accessOf[seat]) { var what = document.createElement('span'); what.className = 'muted small access-for'; what.textContent = ACCESS[accessOf[seat]]; li.appendChild(what); }
      ul.appendChild(li);
    });
    // (its seat's line gone, taken by someone else: on the seat itself)
    if (had) { var back = $(had) || buttons[had.replace(/^(type|remove)-/, '')]; if (back) back.focus(); }
  }
  // What the hold will cost, as the server prices it: seats by type, then extras.
  function total() {
    var ul = $('lines'), sum = 0, count = { full: 0, half: 0 };
    ul.textContent = '';
    function line(n, name, cents) {
      var li = document.createElement('li'), what = document.createElement('span'), price = document.createElement('span');
      what.textContent = t('seats.line', { count: n, name: name }); price.textContent = money(cents, CURRENCY);
      li.appendChild(what); li.appendChild(price); ul.appendChild(li); sum += cents;
    }
    Object.keys(chosen).forEach(function (seat) { count[chosen[seat]]++; });
    ['full', 'half'].forEach(function (type) { if (count[type]) line(count[type], TYPES[type], count[type] * PRICES[type]); });
    document.querySelectorAll('[data-extra]').forEach(function (input) {
      var q = Math.max(0, Math.floor(Number(input.value) || 0)), extra = EXTRAS[input.getAttribute('data-extra')];
      if (q > 0 && extra) line(q, extra.name, q * extra.priceCents);
    });
    $('total').textContent = money(sum, CURRENCY);
    // Never disabled: a disabled button is skipped by Tab and not said. It says it is off, and why.
    var none = Object.keys(chosen).length === 0;
    $('hold').setAttribute('aria-disabled', String(none || holding || over));
    $('hold-why').hidden = !none || over;
    if (none && !over) $('hold').setAttribute('aria-describedby', 'hold-why'); else $('hold').removeAttribute('aria-describedby');
  }
  // A new reading of the map: seats chosen meanwhile by others leave the choice, and the buyer is told.
  function fresh(m) {
    var lost = [], key = m.rows.map(function (row) { return row.row + ':' + row.seats.map(function (s) { return s.seat + '@' + s.col; }).join(','); }).join('|');
    max = m.maxSeatsPerVisit || m.maxSeatsPerOrder || max;
    m.rows.forEach(function (row) { row.seats.forEach(function (s) { if (chosen[s.seat] && s.status !== 'free') { lost.push(s.seat); delete chosen[s.seat]; } }); });
    var first = !map;
    if (key !== layout) {
      build(m); layout = key; listed = null; accessOf = {};
      m.rows.forEach(function (row) { row.seats.forEach(function (s) { if (ACCESS[s.accessibility]) accessOf[s.seat] = s.accessibility; }); });
      // The legend names only the kinds of accessible seat this room has.
      var kinds = {}; Object.keys(accessOf).forEach(function (seat) { kinds[accessOf[seat]] = true; });
      document.querySelectorAll('[data-access]').forEach(function (li) { li.hidden = !kinds[li.getAttribute('data-access')]; });
      $('access-note').hidden = !Object.keys(kinds).length;
    }
    map = m; update(); list(); total();
    if (lost.length) notice(t('seats.lost', { count: lost.length, seats: new Intl.ListFormat(LOCALE, { type: 'conjunction' }).format(lost) }));
    $('map').setAttribute('aria-busy', 'false'); $('loading').hidden = true; $('load-error').hidden = true;
    var scroller = document.querySelector('.seatmap-scroll');
    $('scroll-hint').hidden = scroller.scrollWidth <= scroller.clientWidth;
    // The middle of the room first, where the best seats are, when it is wider than the screen.
    if (first) scroller.scrollLeft = (scroller.scrollWidth - scroller.clientWidth) / 2;
  }
  function failed() {
    $('loading').hidden = true;
    if (!map) { $('map').textContent = ''; $('map').setAttribute('aria-busy', 'false'); }
    $('load-error').hidden = false;
    $('load-error-text').textContent = map ? t('seats.refreshFailed') : t('seats.loadFailed');
    later(REFRESH_MS);
  }
  function later(ms) { clearTimeout(timer); timer = setTimeout(load, ms); }
  function load() {
    if (loading || holding || over) return;
    // Hidden, the map waits: it is read again when the page is seen.
    if (document.hidden) { later(REFRESH_MS); return; }
    // Reads are numbered: one started before Hold was pressed is from before the hold, and would
    // take the buyer's own seats for someone else's; its answer is dropped (as any but the last).
    var n = ++reads;
    loading = true; clearTimeout(timer);
    fetch('/checkout/api/shows/' + show + '/seats', { credentials: 'same-origin' })
      .then(function (r) { return r.json().then(function (b) { return { r: r, b: b }; }); })
      .then(function (x) {
        if (n !== reads || holding) return;
        loading = false; lastLoad = Date.now();
        if (x.r.ok) { fresh(x.b); later(REFRESH_MS); return; }
        if (x.r.status === 503) { say(x.b); later((x.b.retryAfterSeconds || 2) * 1000); return; }
        if (x.r.status >= 500) { failed(); return; }
        // The visit is over, or was never this browser's: nothing more to choose here.
        over = true; say(x.b); total();
        $('loading').hidden = true;
        if (!map) { $('map').textContent = ''; $('map').setAttribute('aria-busy', 'false'); }
      })
      .catch(function () { if (n !== reads || holding) return; loading = false; failed(); });
  }
  function again() { if (Date.now() - lastLoad > 2000) load(); }
  window.addEventListener('focus', again);
  document.addEventListener('visibilitychange', function () { if (!document.hidden) again(); });
  $('retry').onclick = function () {
    $('load-error').hidden = true;
    if (!map) { $('loading').hidden = false; $('map').setAttribute('aria-busy', 'true'); $('map').innerHTML = $('skeleton').innerHTML; }
    load();
  };
  // The arrow keys move between free seats: along the row, or to the nearest one in the row ahead or
  // behind; Home and End to the row's first and last free seats.
  $('map').addEventListener('keydown', function (e) {
    var d = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0], Home: 'first', End: 'last' }[e.key], from = e.target;
    if (!d || !from.getAttribute || from.getAttribute('data-seat') === null) return;
    var rows = $('map').querySelectorAll('.row'), r = Number(from.getAttribute('data-row')), col = Number(from.getAttribute('data-col')), next = null;
    function free(row) { return [].slice.call(row.querySelectorAll('.seat:not([aria-disabled=true])')); }
    function colOf(b) { return Number(b.getAttribute('data-col')); }
    if (typeof d === 'string') {
      var inRow = free(rows[r]);
      next = inRow.length ? inRow[d === 'first' ? 0 : inRow.length - 1] : null;
    } else if (d[0] === 0) {
      free(rows[r]).forEach(function (b) { var c = colOf(b); if ((c - col) * d[1] > 0 && (!next || Math.abs(c - col) < Math.abs(colOf(next) - col))) next = b; });
    } else {
      for (var k = r + d[0]; k >= 0 && k < rows.length && !next; k += d[0]) {
        free(rows[k]).forEach(function (b) { if (!next || Math.abs(colOf(b) - col) < Math.abs(colOf(next) - col)) next = b; });
      }
    }
    if (next) { e.preventDefault(); next.focus(); }
  });
  $('map').addEventListener('focusin', function (e) { if (e.target.getAttribute && e.target.getAttribute('data-seat') !== null) rove(); });
  document.querySelectorAll('[data-extra]').forEach(function (input) { input.addEventListener('input', total); });
  $('hold').onclick = function () {
    if (holding || over) return;
    if (!Object.keys(chosen).length) { notice(t('seats.chooseFirst')); return; }
    var extras = [];
    document.querySelectorAll('[data-extra]').forEach(function (i) { var q = Math.floor(Number(i.value)); if (q > 0) extras.push({ extraId: i.getAttribute('data-extra'), quantity: q }); });
    var seats = Object.keys(chosen).map(function (s) { return { seat: s, ticketType: chosen[s] }; });
    holding = true; reads++; loading = false; clearTimeout(timer); total(); notice(t('seats.holding'));
    fetch('/checkout/api/shows/' + show + '/orders', { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ seats: seats, extras: extras }) })
      .then(function (r) { return r.json().then(function (b) {
        if (r.ok) { location.href = '/checkout/orders/' + b.orderId; return; }
        holding = false; say(b);
        if (b.order || b.waitingRoom) { over = true; total(); return; } // nothing more to choose in this visit
        (b.seats || []).forEach(function (s) { delete chosen[s]; });
        list(); total(); load();
      }); })
      .catch(function () { holding = false; notice(t('error.generic')); total(); load(); });
  };
  list(); total(); load();
})();`,
  );
  const legend: [string, MessageKey][] = [
    ['free', 'seats.legend.free'],
    ['chosen', 'seats.legend.chosen'],
    ['held', 'seats.legend.held'],
    ['taken', 'seats.legend.taken'],
  ];
  // Shown by the script when the room has them (the catalog says which seats are).
  const accessible: [string, MessageKey][] = [
    ['wheelchair', 'seats.access.wheelchair'],
    ['companion', 'seats.access.companion'],
    ['reduced_mobility', 'seats.access.reduced_mobility'],
  ];
  return page(
    i.t('seats.pageTitle', { title: show.title }),
    html`${showHeading(i, show)}
<noscript><p class="alert">${i.t('seats.needsScript')}</p></noscript>
<div class="card sale"><ul class="prices" aria-label="${i.t('seats.prices')}">
<li>${i.t('ticketType.full')} <strong>${i.money(prices.full, currency)}</strong></li>
<li>${i.t('ticketType.half')} <strong>${i.money(prices.half, currency)}</strong></li>
</ul><p class="muted small">${i.t('seats.halfNote')}</p></div>
<h2>${i.t('seats.title')}</h2>
<p class="muted">${i.t('seats.hint')} ${i.t('seats.limit', { count: maxSeats })}</p>
<p class="muted small keys">${i.t('seats.keys')}</p>
<div class="card mapcard">
<ul class="legend" aria-label="${i.t('seats.legend')}">${legend.map(([kind, words]) => html`<li><span class="swatch ${kind}" aria-hidden="true"></span>${i.t(words)}</li>`)}${accessible.map(
      ([kind, words]) =>
        html`<li data-access="${kind}" hidden><span class="swatch free access-${kind}" aria-hidden="true">${kind === 'wheelchair' ? '♿' : ''}</span>${i.t(words)}</li>`,
    )}</ul>
<p id="access-note" class="muted small" hidden>${i.t('seats.accessNote')}</p>
<div class="mapwrap"><div id="rowlabels" class="rowlabels" aria-hidden="true"></div>
<div class="seatmap-scroll" role="region" aria-label="${i.t('seats.map')}"><div class="seatmap"><div class="screen" aria-hidden="true"><span>${i.t('seats.screen')}</span></div>
<div id="map" aria-busy="true">${SKELETON}</div>
</div></div></div>
<p id="loading" class="muted small" role="status">${i.t('seats.loading')}</p>
<p id="scroll-hint" class="muted small" hidden>${i.t('seats.scroll')}</p>
<div id="load-error" class="alert" role="alert" hidden><p id="load-error-text"></p><button type="button" id="retry" class="secondary">${i.t('seats.retry')}</button></div>
<p class="muted small">${i.t('seats.live')}</p>
</div>
<template id="skeleton">${SKELETON}</template>
<p id="message" role="status"></p>
<h2>${i.t('seats.yours')}</h2><ul id="chosen"></ul>
${extras.length ? html`<h2>${i.t('seats.extras')}</h2><ul class="extras">${extras.map((e) => html`<li><label>${e.name} (${i.money(e.priceCents, currency)}) <input type="number" min="0" max="20" value="0" data-extra="${e.id}"></label></li>`)}</ul>` : ''}
<div class="card summary"><h2>${i.t('seats.summary')}</h2><ul id="lines" class="lines"></ul></div>
<div class="holdbar"><p class="total" aria-live="polite" aria-atomic="true">${i.t('seats.total')}: <strong id="total">${i.money(0, currency)}</strong></p>
<button id="hold" type="button" aria-disabled="true" aria-describedby="hold-why">${i.t('seats.hold')}</button><p id="hold-why" class="muted small">${i.t('seats.chooseFirst')}</p></div>
<style>${new Html(SEAT_MAP_STYLE)}</style>
${script}`,
    undefined,
    // Back through the zone pass (the cookie), never with the access token in the link.
    { i18n: i, path: `/checkout/${show.showId}` },
  );
}

const ORDER_STATES: Record<string, MessageKey> = {
  pending_payment: 'order.state.pending_payment',
  awaiting_payment: 'order.state.awaiting_payment',
  confirmed: 'order.state.confirmed',
  expired: 'order.state.expired',
  cancelled: 'order.state.cancelled',
  refund_required: 'order.state.refund_required',
};
const TICKET_TYPES: Record<'full' | 'half', MessageKey> = { full: 'ticketType.full', half: 'ticketType.half' };

/** What the order page looks like beside the layout's (whose errors, dialog and actions it uses): the status, the summary, the way on. */
export const ORDER_STYLE = `.card>h2:first-child,.show-card .show-title{margin:.2rem 0 .4rem}.show-details{margin:.2rem 0}
.status{border-left:.4rem solid #0a66c2}.status[data-state=confirmed]{border-left-color:#1e7d32}
.status[data-state=expired],.status[data-state=cancelled],.status[data-state=refund_required],.status[data-state=unavailable]{border-left-color:#8a5a00}
.status p{margin:.3rem 0}.countdown{font-size:1.35rem;font-weight:700;font-variant-numeric:tabular-nums}.countdown.urgent{color:#b3261e}
.summary{width:100%;border-collapse:collapse}.summary th,.summary td{text-align:left;padding:.5rem 0;border-bottom:1px solid #e4e4e4;font-weight:400;vertical-align:top}
.summary thead th{font-size:.85rem;color:#595959}.summary .num{text-align:right;white-space:nowrap;padding-left:1rem}.summary tfoot th,.summary tfoot td{border-bottom:0;font-weight:700;font-size:1.15rem}
.pay label{display:block;font-weight:600;margin:.3rem 0}.pay input{font:inherit;width:100%;box-sizing:border-box;padding:.6rem;border:1px solid #767676;border-radius:.4rem;min-height:44px}
.hint{font-size:.9rem;color:#595959;margin:.4rem 0}
button.primary,.button.primary{font-weight:700;min-height:48px;width:100%}button.secondary,.button.secondary{min-height:44px}
button.danger{min-height:44px}.way-on{display:flex;flex-wrap:wrap;gap:.6rem}.way-on .button{display:flex;align-items:center;justify-content:center;text-align:center;flex:1 1 14rem;box-sizing:border-box}
@media (min-width:40rem){button.primary,.button.primary{width:auto}}
dialog .actions button{flex:1 1 12rem}
.spinner{display:inline-block;width:1rem;height:1rem;border:3px solid #cfe0f5;border-top-color:#0a66c2;border-radius:50%;animation:spin 1s linear infinite;vertical-align:-.15rem;margin-right:.4rem}
@keyframes spin{to{transform:rotate(360deg)}}@media (prefers-reduced-motion:reduce){.spinner{animation-duration:4s}}
.reconnecting{display:flex;align-items:center;gap:.5rem;margin:.5rem 0;padding:.5rem .8rem;border-radius:.4rem;background:#eef4fb;color:#1d1d1f}
.pulse{flex:none;width:.6rem;height:.6rem;border-radius:50%;background:#0a66c2;animation:pulse 1.2s ease-in-out infinite alternate}@keyframes pulse{to{opacity:.25}}@media (prefers-reduced-motion:reduce){.pulse{animation:none}}
.visually-hidden{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap;border:0}
.ticket-links a{display:flex;align-items:center;min-height:44px;box-sizing:border-box;padding:.6rem .9rem;margin:.4rem 0;border:1px solid #0a66c2;border-radius:.4rem;color:#0a66c2;font-weight:600;text-decoration:none}.ticket-links a:hover{background:#eef4fb}`;

/**
 * The order: the show, its state (with a countdown to the hold's end while it holds seats), the
 * payment form (before the summary: Pay, which says the total, is in sight on a phone as the page
 * opens), the order summed up seat by seat, giving up after a confirmation, the tickets once
 * confirmed, and the way on once it has ended. `order`: the buyer's own (null for anyone else:
 * the page is bare, and its script says the order is not found in this browser).
 */
export function orderPage(i: Translator, orderId: string, order: OrderView | null): string {
  const script = clientScript(
    i,
    null,
    `${REFUSAL_WORDS}
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
  // A refusal stays until the next attempt.
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
    // A payment that failed hid or disabled what had the focus: the card field is where they go on from.
    var focused = document.activeElement;
    if ($('pay') && !$('pay').hidden && (!focused || focused === document.body || focused === $('pay-button'))) $('token').focus();
  }
  // Every request says what came back, even an answer that is not JSON (a proxy's error page).
  function request(method, url, body) {
    var init = { method: method, credentials: 'same-origin', headers: {} };
    if (body) { init.headers['content-type'] = 'application/json'; init.body = JSON.stringify(body); }
    return fetch(url, init).then(function (r) {
      return r.text().then(function (text) { var b = {}; try { b = text ? JSON.parse(text) : {}; } catch (e) { b = {}; } return { ok: r.ok, status: r.status, body: b, date: r.headers.get('date'), retryAfter: Number(r.headers.get('retry-after')) || b.retryAfterSeconds || 0 }; });
    });
  }
  var state = null, paying = false, last = null;
  // Written only when the words change: the status is a live region, and a poll's same words
  // written again would be said again (every second while the payment is awaited).
  function setText(id, text) { if ($(id).textContent !== text) $(id).textContent = text; }
  function show(o) {
    if (!MINE) { location.reload(); return; } // the page was made for someone else: made again for this browser
    var before = state;
    state = o.state; last = o;
    var total = money(o.totalCents, o.currency), open = o.state === 'pending_payment', ended = o.state === 'expired' || o.state === 'cancelled' || o.state === 'refund_required';
    var EXPLAIN = {
      awaiting_payment: t('order.explain.awaiting_payment'),
      confirmed: t('order.explain.confirmed'),
      expired: t('order.explain.expired'),
      cancelled: t('order.explain.cancelled'),
      refund_required: t('order.explain.refund_required', { total: total })
    };
    setText('state', STATES[o.state] || o.state);
    $('state').setAttribute('data-state', o.state);
    $('status').setAttribute('data-state', o.state);
    setText('explain', EXPLAIN[o.state] || '');
    $('progress').hidden = o.state !== 'awaiting_payment';
    $('pay').hidden = !open;
    $('giveup').hidden = !open;
    if (!paying) $('pay-button').disabled = !open;
    // (not over a failed payment request's error: the reason is the attempt before's)
    if (open && o.rejectionReason) { if (errorKind !== 'request') fail(t('order.refused', { reason: REFUSALS[o.rejectionReason] || t('order.refusal.other') }), 'refused'); }
    else if (!open) fail(null);
    var types = {};
    o.seats.forEach(function (s) { types[s.seat] = TYPES[s.ticketType] || s.ticketType; });
    $('tickets').textContent = '';
    o.tickets.forEach(function (tk) { var li = document.createElement('li'), a = document.createElement('a'); a.href = tk.url; a.textContent = t('order.ticket', { seat: tk.seat, type: types[tk.seat] || '', code: tk.code }); li.appendChild(a); $('tickets').appendChild(li); });
    $('tickets-section').hidden = o.tickets.length === 0;
    // The hold's end as the cinema's clock shows it, and the time left, counted down.
    setText('deadline', open ? t('order.heldUntil', { time: when(o.holdExpiresAt, 'time', o.timeZone) }) : '');
    countDown(open ? Date.parse(o.holdExpiresAt) : null);
    if (o.state === 'awaiting_payment') later(1000);
    // Given up, run out or refunded, the visit is over: more seats mean the waiting room again, or another show.
    $('way-on').hidden = !ended;
    // Run out while they were on it: what had the focus (the card field, Pay) is gone; the way back takes it, not <body>.
    if (o.state === 'expired' && (before === 'pending_payment' || before === 'awaiting_payment')) $('again').focus();
  }
  // The time left to pay, on the server's clock (the Date of its last answer, against ours); at
  // zero the order is read again: the server expires the hold and the page says so, with no reload.
  var skew = 0, endsAt = null, timer = null;
  function tick() {
    var ms = endsAt - (Date.now() + skew);
    if (ms <= 0) { countDown(null); later(500); return; }
    var s = Math.ceil(ms / 1000);
    $('countdown').textContent = t('order.timeLeft', { time: Math.floor(s / 60) + ':' + String(s % 60).padStart(2, '0') });
    $('countdown').className = s <= 30 ? 'countdown urgent' : 'countdown';
    // The timer role is not read out: a minute and 30 seconds before the end are said once each, politely.
    if (s <= 30 && warned > 30) { warned = 30; $('hold-warning').textContent = t('order.holdEndsIn30Seconds'); }
    else if (s <= 60 && warned > 60) { warned = 60; $('hold-warning').textContent = t('order.holdEndsInAMinute'); }
  }
  var warned = Infinity;
  function countDown(at) {
    if (at !== endsAt) { warned = Infinity; $('hold-warning').textContent = ''; }
    endsAt = at;
    $('countdown').hidden = at === null;
    if (at === null) { clearInterval(timer); timer = null; return; }
    if (!timer) timer = setInterval(tick, 1000);
    tick();
  }
  // Not this browser's (another device, cookies cleared): the order is only its buyer's session's.
  function refused(status, b) {
    setText('state', status === 401 || status === 404 ? t('order.notYours') : refusalText(b));
    $('state').setAttribute('data-state', 'unavailable');
    $('status').setAttribute('data-state', 'unavailable');
  }
  // The next reading of the order: one timer, so that polls, the countdown's end and retries never multiply.
  var next = null;
  function later(ms) { clearTimeout(next); next = setTimeout(load, ms); }
  // The API out of reach (no answer, or a 5xx while a function or its database restarts): the page
  // keeps what it last knew, says calmly that it reconnects (the order is the server's, nothing is
  // lost), and tries again less and less often (1, 2, 4, 8, then every 15 s; never sooner than a
  // Retry-After), by itself, until an answer comes.
  var misses = 0;
  function reconnect(retryAfter) {
    misses++;
    $('reconnecting').hidden = false;
    var wait = Math.max(Math.min(retryAfter || 0, 60) * 1000, Math.min(15000, 1000 * Math.pow(2, misses - 1)));
    later(wait * (0.9 + Math.random() * 0.2)); // spread out: a whole audience's pages must not come back at once
  }
  function load() {
    return request('GET', '/checkout/api/orders/' + id).then(function (res) {
      if (res.status >= 500 || res.status === 429) { reconnect(res.retryAfter); return; }
      misses = 0; $('reconnecting').hidden = true;
      var date = Date.parse(res.date || '');
      // The header counts whole seconds: only a clock off by more than that is corrected.
      if (!isNaN(date)) skew = Math.abs(date - Date.now()) > 2000 ? date + 500 - Date.now() : 0;
      if (res.ok) show(res.body); else refused(res.status, res.body);
    }).catch(function () { reconnect(0); });
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
          // Accepted: the order awaits the payment now, as the answer says, even if it cannot be read
          // just after (a dropped connection): never Pay or give up again over a payment under way.
          else if (last && STATES[res.body.state]) show(Object.assign({}, last, { state: res.body.state, rejectionReason: null }));
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
      $('giveup').disabled = true; setText('explain', t('order.givingUp'));
      request('DELETE', '/checkout/api/orders/' + id)
        .then(function (res) { if (!res.ok) fail(refusalText(res.body)); return load(); })
        .then(function () { if (state === 'cancelled') $('again').focus(); })
        // The answer lost, not necessarily the request: the order is read again (and followed through
        // the outage) to show what really happened; giving up is not sent again by itself.
        .catch(function () { fail(t('order.error.giveUpNetwork'), 'request'); return load(); })
        .then(function () { $('giveup').disabled = false; });
    });
  }
  load();
})();`,
  );
  const body = order
    ? orderBody(i, order)
    : html`<h1>${i.t('order.title')}</h1>
<section id="status" class="card status" aria-live="polite"><p><strong id="state">…</strong></p><p id="explain"></p></section>
${reconnecting(i)}
<div id="error" role="alert"></div>`;
  return page(
    i.t('order.title'),
    html`<noscript><p class="alert">${i.t('order.needsScript')}</p></noscript>
${body}
<style>${new Html(ORDER_STYLE)}</style>
${script}`,
    undefined,
    { i18n: i, path: `/checkout/orders/${orderId}` },
  );
}

/** Said while the order cannot be read (the page keeps trying): calm words, not an error. */
const reconnecting = (i: Translator) =>
  html`<p id="reconnecting" class="reconnecting" role="status" hidden><span class="pulse" aria-hidden="true"></span>${i.t('order.reconnecting')}</p>`;

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
<p id="hold-warning" class="visually-hidden" aria-live="polite" aria-atomic="true"></p>
${reconnecting(i)}
<div id="error" role="alert"></div>
<section id="tickets-section" class="card" aria-labelledby="tickets-title" hidden><h2 id="tickets-title">${i.t('order.tickets')}</h2><ul id="tickets" class="ticket-links"></ul></section>
<nav id="way-on" class="card way-on" aria-label="${i.t('order.wayOn')}" hidden><a id="again" class="button primary" href="/waiting-room/${order.showId}">${i.t('order.backToLine')}</a><a id="others" class="button secondary" href="/movies/${order.movieId}">${i.t('order.otherShows')}</a></nav>
<form id="pay" class="card pay" aria-labelledby="pay-title"${open ? '' : new Html(' hidden')}>
<h2 id="pay-title">${i.t('order.payTitle')}</h2>
<label for="token">${i.t('order.card')}</label>
<input id="token" name="paymentToken" value="tok_visa" autocomplete="off" autocapitalize="none" spellcheck="false" inputmode="text" aria-describedby="card-hint">
<p id="card-hint" class="hint">${i.t('order.cardHint')}</p>
<p class="actions"><button id="pay-button" type="submit" class="primary">${i.t('order.pay', { total: money(order.totalCents) })}</button></p>
</form>
<section class="card" aria-labelledby="summary-title">
<h2 id="summary-title">${i.t('order.summary')}</h2>
<table class="summary">
<thead><tr><th scope="col">${i.t('order.item')}</th><th scope="col" class="num">${i.t('order.price')}</th></tr></thead>
<tbody>${order.seats.map((s) => html`<tr><th scope="row"><span>${i.t('order.seatItem', { seat: s.seat })}</span> <span class="muted">${i.t(TICKET_TYPES[s.ticketType])}</span></th><td class="num">${money(s.priceCents)}</td></tr>`)}${order.extras.map(
    (e) =>
      html`<tr><th scope="row"><span>${i.t('order.extraItem', { quantity: e.quantity, name: e.name })}</span></th><td class="num">${money(e.priceCents)}</td></tr>`,
  )}</tbody>
<tfoot><tr><th scope="row">${i.t('order.total')}</th><td class="num"><strong id="total">${money(order.totalCents)}</strong></td></tr></tfoot>
</table>
</section>
<p><button id="giveup" type="button" class="secondary"${open ? '' : new Html(' hidden')}>${i.t('order.giveUp')}</button></p>
<dialog id="confirm-giveup" aria-labelledby="giveup-title" aria-describedby="giveup-text">
<h2 id="giveup-title">${i.t('order.giveUpTitle')}</h2>
<p id="giveup-text">${i.t('order.giveUpText', { count: order.seats.length, seats: new Intl.ListFormat(i.locale, { type: 'conjunction' }).format(order.seats.map((s) => s.seat)) })}</p>
<form method="dialog" class="actions"><button value="keep" class="primary" autofocus>${i.t('order.keep')}</button>
<button value="giveup" class="danger">${i.t('order.giveUpConfirm')}</button></form>
</dialog>`;
}
