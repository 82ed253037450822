/**
 * The operators' page's script: signs in, polls the operators' API every 5 s and draws what it
 * reads (cards updated in place, so a keyboard's focus survives a refresh), charts the last ten
 * minutes of polls as inline SVG sparklines, and runs the actions, the dangerous ones after a
 * <dialog> confirmation.
 *
 * The token is kept in sessionStorage, sent only as `Authorization: Bearer` by fetch(). Not an
 * HttpOnly cookie: the operators' API (admit-batch's and reserve-seat's) takes the bearer header
 * only, so no browser ever sends it by itself, and no other site can make an operator's browser
 * pause a sale (no cross-site request forgery to defend against); a cookie would be sent with
 * every request to the edge, by any page of the origin. sessionStorage is the tab's alone and
 * ends with it; the token never goes into a URL (the form is never submitted to the server) or a
 * log (the functions log no request headers).
 *
 * Plain JavaScript, no build step and no framework: the page must load in the middle of a sale
 * from any operator's browser, and stays a few kilobytes.
 */
export const ADMIN_SCRIPT = String.raw`
(function () {
  'use strict';
  var KEY = 'premiere-admin', POLL_MS = 5000, LETTERS_MS = 15000, WINDOW_MS = 10 * 60000;
  var token = sessionStorage.getItem(KEY);
  var timers = [], cards = {}, history = {}, legacyHistory = [], lastOk = null, lettersSeen = '';
  // Bumped when an action starts and when it ends: a refresh asked before may answer with the state
  // before it, after the action's own answer, and must not flip the card back.
  var actions = 0;
  var $ = function (id) { return document.getElementById(id); };
  var nf = new Intl.NumberFormat('pt-BR');
  var pf = new Intl.NumberFormat('pt-BR', { style: 'percent', maximumFractionDigits: 0 });
  var clock = new Intl.DateTimeFormat('pt-BR', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  var formats = {};
  /** A show's time in its cinema's zone, whatever the operator's browser says. */
  function when(iso, zone) {
    var f = formats[zone] || (formats[zone] = new Intl.DateTimeFormat('pt-BR', { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', timeZone: zone || 'America/Sao_Paulo', timeZoneName: 'short' }));
    return f.format(new Date(iso));
  }
  function Unauthorized() {}

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { if (k === 'text') e.textContent = attrs[k]; else e.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) { e.appendChild(c); });
    return e;
  }
  function svg(tag, attrs) {
    var e = document.createElementNS('http://www.w3.org/2000/svg', tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    return e;
  }

  function api(method, path, body) {
    var headers = { authorization: 'Bearer ' + token };
    if (body) headers['content-type'] = 'application/json';
    return fetch(path, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined, cache: 'no-store' }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (b) {
        if (r.status === 401) { signOut('O token não vale mais (foi trocado?): entre de novo.'); throw new Unauthorized(); }
        if (!r.ok) throw new Error(b.message || ('HTTP ' + r.status));
        return b;
      });
    });
  }

  // Signing in and out.
  function signInError(text) {
    var e = $('sign-in-error');
    e.textContent = text; e.hidden = !text;
    if (text) { $('token').setAttribute('aria-invalid', 'true'); $('token').focus(); $('token').select(); } else $('token').removeAttribute('aria-invalid');
  }
  $('sign-in').addEventListener('submit', function (event) {
    event.preventDefault();
    var given = $('token').value.trim();
    if (!given) return signInError('Digite o token de operador.');
    var button = $('sign-in').querySelector('button');
    button.disabled = true; button.textContent = 'Entrando…';
    fetch('/admin/api/shows', { headers: { authorization: 'Bearer ' + given }, cache: 'no-store' }).then(function (r) {
      if (r.status === 401) return signInError('Token inválido: confira o ADMIN_TOKEN e tente de novo.');
      if (!r.ok) throw new Error('HTTP ' + r.status);
      return r.json().then(function (body) { token = given; sessionStorage.setItem(KEY, token); $('token').value = ''; signInError(''); enter(body); });
    }).catch(function () {
      signInError('A API não respondeu (ou o token tem caracteres inválidos). Tente de novo em instantes.');
    }).then(function () { button.disabled = false; button.textContent = 'Entrar'; });
  });
  $('sign-out').addEventListener('click', function () { signOut(''); });

  function signOut(message) {
    token = null;
    sessionStorage.removeItem(KEY);
    timers.forEach(clearInterval); timers = [];
    cards = {}; history = {}; legacyHistory = []; lettersSeen = '';
    $('shows').textContent = ''; $('letters').textContent = ''; $('letter').textContent = '';
    $('signed-in').hidden = true; $('who').hidden = true; $('signed-out').hidden = false;
    signInError(message);
    if (!message) $('token').focus();
  }
  function enter(body) {
    $('signed-out').hidden = true; $('signed-in').hidden = false; $('who').hidden = false;
    render(body); live(true);
    $('rooms-title').setAttribute('tabindex', '-1'); $('rooms-title').focus();
    timers.push(setInterval(poll, POLL_MS));
    letters(); timers.push(setInterval(letters, LETTERS_MS));
  }
  function poll() {
    if (!token) return;
    var asked = actions;
    api('GET', '/admin/api/shows').then(function (body) { if (token) { if (asked === actions) render(body); live(true); } }, function (e) { if (!(e instanceof Unauthorized)) live(false); });
  }
  function live(ok) {
    if (ok) lastOk = new Date();
    $('live').classList.toggle('stale', !ok);
    $('updated').textContent = ok ? 'Ao vivo · atualizado às ' + clock.format(lastOk) : 'Sem resposta da API' + (lastOk ? ' desde ' + clock.format(lastOk) : '') + ': tentando de novo';
  }

  // The last ten minutes of polls, charted.
  function keep(list, sample) {
    list.push(sample);
    while (list.length && list[0].t < sample.t - WINDOW_MS) list.shift();
  }
  /**
   * Rates over a trailing window (ms) at each sample: (Δ field) / (Δ t) × per, from the oldest
   * sample inside the window; null where a counter went back (a room rebuilt, counters lost).
   * Counts move in steps (an admission, a call's busy time counted when it ends): over one 5-s
   * interval the line would jump between 0 and a peak.
   */
  function rates(list, field, per, window, over) {
    var out = [];
    for (var i = 1, j = 0; i < list.length; i++) {
      while (list[i].t - list[j].t > window && j < i - 1) j++;
      var dt = list[i].t - list[j].t, dv = list[i][field] - list[j][field];
      out.push({ t: list[i].t, v: dt > 0 && dv >= 0 ? Math.min(over || Infinity, dv / dt * per(list[i])) : null });
    }
    return out;
  }
  function sparkline(label, unit) {
    var s = svg('svg', { class: 'spark', role: 'img', 'aria-label': label + ': ainda sem histórico' });
    s.appendChild(svg('line', { x1: 0, y1: -10, y2: -10 }));
    s.appendChild(svg('polyline', { points: '' }));
    s.appendChild(svg('circle', { r: 2.5, cx: -10, cy: -10 }));
    s.dataset.label = label; s.dataset.unit = unit || '';
    return s;
  }
  /**
   * Draws points ({t, v}) up to now, in the svg's own pixels (round dots at any width); over the
   * ten-minute window, or since the first poll if that is shorter (at least two minutes), so
   * that the first minutes are not a speck at the right. ref: a dashed reference (a capacity, a target).
   */
  function draw(s, points, now, opts) {
    var values = points.filter(function (p) { return p.v !== null; });
    var W = s.clientWidth || 120, H = s.clientHeight || 34, pad = 3;
    s.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
    var span = Math.min(WINDOW_MS, Math.max(2 * 60000, values.length ? now - values[0].t : 0));
    var top = Math.max(opts.max || 0, opts.ref || 0, 1);
    values.forEach(function (p) { top = Math.max(top, p.v * 1.1); });
    var x = function (t) { return (pad + (W - 2 * pad) * (1 - (now - t) / span)).toFixed(1); };
    var y = function (v) { return (H - pad - v / top * (H - 2 * pad)).toFixed(1); };
    s.querySelector('polyline').setAttribute('points', values.map(function (p) { return x(p.t) + ',' + y(p.v); }).join(' '));
    var last = values[values.length - 1], dot = s.querySelector('circle'), line = s.querySelector('line');
    dot.setAttribute('cx', last ? x(last.t) : -10); dot.setAttribute('cy', last ? y(last.v) : -10);
    line.setAttribute('x2', W); line.setAttribute('y1', opts.ref ? y(opts.ref) : -10); line.setAttribute('y2', opts.ref ? y(opts.ref) : -10);
    var fmt = opts.format || function (v) { return nf.format(Math.round(v)); };
    if (values.length > 1) {
      var hi = Math.max.apply(null, values.map(function (p) { return p.v; })), lo = Math.min.apply(null, values.map(function (p) { return p.v; }));
      var minutes = Math.max(1, Math.round((now - values[0].t) / 60000));
      s.setAttribute('aria-label', s.dataset.label + ' nos últimos ' + minutes + ' min: de ' + fmt(lo) + ' a ' + fmt(hi) + s.dataset.unit + ', agora ' + fmt(last.v) + s.dataset.unit);
    }
  }

  function render(body) {
    // When the answer came, by the page's clock: the charts' time axis (a poll's round trip is small beside 5 s).
    var now = Date.now();
    renderLegacy(body.legacy, now);
    var shows = (body.shows || []).slice().sort(function (a, b) { return a.startsAt < b.startsAt ? -1 : a.startsAt > b.startsAt ? 1 : a.title < b.title ? -1 : 1; });
    var seen = {};
    shows.forEach(function (s) { seen[s.showId] = true; keep(history[s.showId] || (history[s.showId] = []), { t: now, waiting: s.waiting, inside: s.inside, admitted: s.admitted }); showCard(s, now); });
    Object.keys(cards).forEach(function (id) { if (!seen[id]) { cards[id].root.remove(); delete cards[id]; delete history[id]; } });
    // In time order; moved only when it changed (moving a card would drop the keyboard's focus).
    var list = $('shows'), order = shows.map(function (s) { return s.showId; });
    var shown = Array.prototype.map.call(list.children, function (c) { return c.dataset.show; });
    if (order.join() !== shown.join()) order.forEach(function (id) { list.appendChild(cards[id].root); });
    $('no-shows').hidden = shows.length > 0;
  }

  function renderLegacy(legacy, now) {
    var box = $('legacy'), c = box.spark;
    if (!c) { c = box.spark = sparkline('Uso do sistema legado', ' %'); box.querySelector('dd').appendChild(c); }
    if (!legacy) { box.querySelector('[data-figure="utilisation"]').textContent = '–'; box.querySelector('[data-figure="in-flight"]').textContent = 'nenhuma chamada ainda'; return; }
    keep(legacyHistory, { t: now, busyMs: legacy.busyMs, limit: legacy.limit });
    var points = rates(legacyHistory, 'busyMs', function (p) { return 100 / p.limit; }, 30000, 100);
    // The figure over the last 30 s: busy time is counted when a call ends, one poll apart is lumpy.
    var from = legacyHistory.filter(function (p) { return p.t >= now - 30000; })[0];
    var figure = from && from.t < now && legacy.busyMs >= from.busyMs ? Math.min(1, (legacy.busyMs - from.busyMs) / (legacy.limit * (now - from.t))) : null;
    box.querySelector('[data-figure="utilisation"]').textContent = figure === null ? '–' : pf.format(figure);
    box.querySelector('[data-figure="in-flight"]').textContent = nf.format(legacy.inFlight) + ' de ' + nf.format(legacy.limit) + ' chamadas agora';
    draw(c, points, now, { max: 100, ref: 90 });
  }

  function figure(dl, name, label, spark) {
    var n = el('span', { class: 'n', 'data-figure': name }), sub = el('span', { class: 'sub', 'data-figure': name + '-sub' });
    var dd = el('dd', {}, [n, sub]);
    if (spark) dd.appendChild(spark);
    dl.appendChild(el('div', { class: 'figure' }, [el('dt', { text: label }), dd]));
  }

  function showCard(s, now) {
    var c = cards[s.showId] || (cards[s.showId] = buildCard(s));
    c.show = s;
    var set = function (name, text) { c.root.querySelector('[data-figure="' + name + '"]').textContent = text; };
    var where = [s.cinemaName, s.city, s.room].filter(Boolean).join(' · ');
    c.root.querySelector('h3').textContent = s.title;
    c.root.querySelector('.where').textContent = where;
    var time = c.root.querySelector('time');
    time.setAttribute('datetime', s.startsAt); time.textContent = when(s.startsAt, s.timeZone);

    var badges = c.root.querySelector('.badges'); badges.textContent = '';
    var badge = function (text, kind) { badges.appendChild(el('span', { class: 'badge ' + kind, text: text })); };
    if (s.paused) badge('Pausada', 'stop');
    if (s.draining) badge('Fila fechada', 'stop');
    if (s.salesOpenAt && Date.parse(s.salesOpenAt) > now) badge('Vendas abrem ' + when(s.salesOpenAt, s.timeZone), 'warn');
    if (s.recoveringUntil) badge('Recuperando até ' + clock.format(new Date(s.recoveringUntil)), 'warn');
    if (s.availability === 'sold_out') badge('Senhas esgotadas', 'warn'); else if (s.availability === 'few_left') badge('Últimas senhas', 'warn');
    if (!s.paused && !s.draining && !s.recoveringUntil) badge('Admitindo', 'on');

    var sold = s.seatsSold || 0, held = s.seatsHeld || 0, free = Math.max(0, s.seats - sold - held);
    set('sold', nf.format(sold)); set('held', nf.format(held)); set('free', nf.format(free)); set('seats', 'de ' + nf.format(s.seats) + ' assentos');
    var part = function (n) { return (s.seats > 0 ? n / s.seats * 100 : 0).toFixed(2) + '%'; };
    c.root.querySelector('.seatbar .sold').style.width = part(sold);
    c.root.querySelector('.seatbar .held').style.width = part(held);

    var h = history[s.showId];
    // What the back of the line is told now (its own poll's estimate); none while admissions are paused.
    var lineWait = s.paused ? 'espera parada: admissões pausadas'
      : s.lineWaitSeconds == null ? ''
      : 'o último espera ' + (s.lineWaitSeconds < 60 ? 'menos de 1 min' : 'cerca de ' + nf.format(Math.round(s.lineWaitSeconds / 60)) + ' min');
    set('waiting', nf.format(s.waiting));
    set('waiting-sub', [s.preQueue ? '+ ' + nf.format(s.preQueue) + ' na pré-fila' : 'pessoas', lineWait].filter(Boolean).join(' · '));
    set('inside', nf.format(s.inside) + ' / ' + nf.format(s.capacity)); set('inside-sub', s.capacityAdaptive ? 'capacidade automática' : 'capacidade fixa');
    set('admissions', nf.format(s.admissionsLastMinute)); set('admissions-sub', nf.format(s.admitted) + ' admitidos ao todo');
    set('tokens', nf.format(s.tokensLive) + ' / ' + nf.format(s.quota)); set('tokens-sub', 'restam ' + nf.format(s.tokensLeft) + ' · overbooking ' + pf.format(s.overbooking) + ' · ' + nf.format(s.tokensIssued) + ' emitidas, ' + nf.format(s.tokensReturned) + ' devolvidas');
    draw(c.sparks.waiting, h.map(function (p) { return { t: p.t, v: p.waiting }; }), now, {});
    draw(c.sparks.inside, h.map(function (p) { return { t: p.t, v: p.inside }; }), now, { ref: s.capacity });
    draw(c.sparks.admissions, rates(h, 'admitted', function () { return 60000; }, 60000), now, {});

    c.buttons.resume.hidden = !s.paused; c.buttons.pause.hidden = s.paused;
    c.buttons.undrain.hidden = !s.draining; c.buttons.drain.hidden = s.draining;
    c.dangerZone.hidden = s.paused && s.draining;
  }

  function buildCard(s) {
    var id = 'show-' + s.showId;
    var root = el('article', { class: 'card show', 'data-show': s.showId, 'aria-labelledby': id + '-title' });
    root.appendChild(el('header', {}, [
      el('div', {}, [el('h3', { id: id + '-title' }), el('p', { class: 'where' }), el('p', { class: 'when' }, [el('time')])]),
      el('p', { class: 'badges' }),
    ]));
    var legend = el('dl', { class: 'legend' });
    [['sold', 'Vendidos'], ['held', 'Reservados'], ['free', 'Livres']].forEach(function (k) {
      legend.appendChild(el('div', {}, [el('dt', {}, [el('span', { class: 'key ' + k[0], 'aria-hidden': 'true' }), document.createTextNode(k[1])]), el('dd', { 'data-figure': k[0] })]));
    });
    legend.appendChild(el('div', {}, [el('dt', { class: 'visually-hidden', text: 'Total' }), el('dd', { class: 'sub', 'data-figure': 'seats' })]));
    root.appendChild(el('div', { class: 'seats' }, [el('div', { class: 'seatbar', 'aria-hidden': 'true' }, [el('span', { class: 'sold' }), el('span', { class: 'held' })]), legend]));
    var sparks = { waiting: sparkline('Na fila', ''), inside: sparkline('Na zona de compra', ''), admissions: sparkline('Admissões por minuto', '') };
    var dl = el('dl', { class: 'figures' });
    figure(dl, 'waiting', 'Na fila', sparks.waiting);
    figure(dl, 'inside', 'Na zona de compra', sparks.inside);
    figure(dl, 'admissions', 'Admissões no último minuto', sparks.admissions);
    figure(dl, 'tokens', 'Senhas em uso / cota');
    root.appendChild(dl);
    var result = el('p', { class: 'result', role: 'status' });
    root.appendChild(result);

    var c = { root: root, show: s, sparks: sparks, result: result, buttons: {} };
    var button = function (name, label, kind, onClick) {
      var b = el('button', { type: 'button', class: kind, 'aria-describedby': id + '-title', text: label });
      b.addEventListener('click', function () { onClick(c.show); });
      c.buttons[name] = b;
      return b;
    };
    var safe = el('div', { class: 'group' }, [
      button('resume', 'Retomar admissões', 'primary', function (show) { act(c, 'resume', 'POST', '/resume', null, 'Admissões retomadas às ' + clock.format(new Date()) + '.', 'pause'); }),
      button('undrain', 'Reabrir a fila', 'primary', function (show) { act(c, 'undrain', 'POST', '/undrain', null, 'Fila reaberta às ' + clock.format(new Date()) + ': novos visitantes recebem senha de novo.', 'drain'); }),
      button('settings', 'Ajustes…', '', openSettings),
    ]);
    c.dangerZone = el('div', { class: 'danger-zone', role: 'group', 'aria-label': 'Ações que param a venda' }, [
      el('span', { class: 'title', 'aria-hidden': 'true', text: 'Param a venda · pedem confirmação' }),
      button('pause', 'Pausar admissões', 'danger', function (show) {
        ask('Pausar as admissões?', describe(show) + ' Ninguém mais entra na zona de compra até você retomar; as ' + nf.format(show.waiting) + ' pessoas na fila mantêm o lugar e veem o aviso de pausa.', 'Pausar admissões')
          .then(function (yes) { if (yes) act(c, 'pause', 'POST', '/pause', null, 'Admissões pausadas às ' + clock.format(new Date()) + '. Quem está na fila mantém o lugar.', 'resume'); });
      }),
      button('drain', 'Fechar a fila', 'danger', function (show) {
        ask('Fechar a fila?', describe(show) + ' Novos visitantes não recebem senha e veem as outras sessões; quem já está na fila continua andando.', 'Fechar a fila')
          .then(function (yes) { if (yes) act(c, 'drain', 'POST', '/drain', null, 'Fila fechada às ' + clock.format(new Date()) + ': novos visitantes não recebem senha.', 'undrain'); });
      }),
    ]);
    root.appendChild(el('div', { class: 'actions' }, [safe, c.dangerZone]));
    return c;
  }
  function describe(s) { return s.title + ' — ' + s.cinemaName + ', ' + when(s.startsAt, s.timeZone) + '.'; }

  function result(c, kind, text) { c.result.className = 'result' + (kind ? ' ' + kind : ''); c.result.textContent = text; }
  /**
   * Runs an action on a show, the button pressed for it (every button disabled meanwhile, which
   * drops the keyboard's focus). Done, that button is hidden (Pause gives way to Resume): the focus
   * goes to the one that undoes it (undo), so Enter undoes. Failed, nothing changed: the focus goes
   * back to the button pressed, so Enter tries again.
   */
  function act(c, pressed, method, path, body, done, undo) {
    var failed = false;
    actions++;
    result(c, '', '');
    Object.keys(c.buttons).forEach(function (k) { c.buttons[k].disabled = true; });
    return api(method, '/admin/api/shows/' + encodeURIComponent(c.show.showId) + path, body).then(function (state) {
      showCard(Object.assign({}, c.show, state), Date.now());
      result(c, 'ok', done);
    }, function (e) {
      failed = true;
      if (!(e instanceof Unauthorized)) result(c, 'error', 'Erro: ' + e.message + '. Nada mudou.');
    }).then(function () {
      actions++;
      Object.keys(c.buttons).forEach(function (k) { c.buttons[k].disabled = false; });
      var f = document.activeElement, lost = !f || f === document.body || (c.root.contains(f) && f.offsetParent === null);
      var to = c.buttons[failed ? pressed : undo];
      if (lost && to && !to.hidden) to.focus();
      poll();
    });
  }

  // The dialogs: a question for the dangerous actions (Cancel focused first), and the settings.
  // Answered as the question closes (a button's submit, Escape's cancel), not at its close event:
  // that comes in a later task, maybe after the question was asked again, and would answer that one.
  // Closed here before the action starts, so the focus is back on the page when it runs.
  var answer = null;
  function settle(yes) { var a = answer; answer = null; if (a) a(yes); }
  $('confirm').querySelector('form').addEventListener('submit', function (e) {
    var yes = !!e.submitter && e.submitter.value === 'ok';
    e.preventDefault(); $('confirm').close(); settle(yes);
  });
  $('confirm').addEventListener('cancel', function () { settle(false); });
  $('confirm').addEventListener('close', function () { if (!$('confirm').open) settle(false); });
  function ask(title, text, ok, kind) {
    $('confirm-title').textContent = title; $('confirm-text').textContent = text;
    $('confirm-ok').textContent = ok; $('confirm-ok').className = kind || 'danger solid';
    $('confirm').showModal();
    return new Promise(function (resolve) { answer = resolve; });
  }
  var editing = null;
  function openSettings(s) {
    editing = cards[s.showId];
    $('settings-show').textContent = describe(s);
    $('capacity').value = s.capacity; $('adaptive').checked = s.capacityAdaptive;
    $('overbooking').value = Math.round(s.overbooking * 1000) / 10;
    $('address-cap').value = s.addressTokenCap === null ? '' : s.addressTokenCap;
    $('settings').showModal();
  }
  // Saved by Save's submit (after the fields' checks), not at the close event, as the question above.
  $('settings-form').addEventListener('submit', function (e) {
    e.preventDefault(); $('settings').close();
    var c = editing; editing = null;
    if (!c || !e.submitter || e.submitter.value !== 'ok') return;
    var s = c.show, body = {}, said = [];
    var capacity = Number($('capacity').value), adaptive = $('adaptive').checked;
    if (capacity !== s.capacity) { body.capacity = capacity; said.push('capacidade ' + nf.format(capacity)); }
    if (adaptive !== s.capacityAdaptive || (body.capacity !== undefined && adaptive)) { body.adaptive = adaptive; said.push(adaptive ? 'capacidade automática' : 'capacidade fixa'); }
    var overbooking = Number($('overbooking').value) / 100;
    if (Math.abs(overbooking - s.overbooking) > 1e-9) { body.overbooking = overbooking; said.push('overbooking ' + pf.format(overbooking)); }
    var cap = $('address-cap').value === '' ? null : Number($('address-cap').value);
    if (cap !== s.addressTokenCap) { body.addressTokenCap = cap; said.push(cap === null ? 'senhas por endereço: o padrão' : 'senhas por endereço: ' + (cap === 0 ? 'sem limite' : nf.format(cap))); }
    if (!said.length) return result(c, '', 'Nada mudou.');
    act(c, 'settings', 'PATCH', '', body, 'Salvo: ' + said.join(', ') + '.');
  });

  // Dead letters.
  function cell(tr, v) { var td = el('td', { text: v === null || v === undefined ? '' : String(v) }); tr.appendChild(td); return td; }
  function lettersResult(kind, text) { var r = $('letters-result'); r.className = 'result' + (kind ? ' ' + kind : ''); r.textContent = text; }
  function failed(e) { if (!(e instanceof Unauthorized)) lettersResult('error', 'Erro: ' + e.message); }
  /** done(answer): what to say, as [kind, text]. */
  function replay(path, body, done) {
    return api('POST', path, body).then(function (r) {
      var said = done(r); lettersResult(said[0], said[1]); lettersSeen = '';
      // The rows are made again: a focus on one (its Replay, or the type's button under the dialog) goes with it.
      return letters().then(function () {
        var f = document.activeElement;
        if (!f || f === document.body || !document.body.contains(f)) { $('letters-title').setAttribute('tabindex', '-1'); $('letters-title').focus(); }
      });
    }, failed);
  }
  /** All of a type: how many went, and what is still open (refused as they are, or past one call's batch). */
  function replayedType(type, r) {
    var n = r.replayed, refused = r.refused || [], rest = r.left - refused.length;
    var text = n === 1 ? '1 evento ' + type + ' reenviado.' : nf.format(n) + ' eventos ' + type + ' reenviados.';
    if (refused.length) text += ' Não reenviados, pois não podem ir como estão (veja cada um): ' + refused.map(function (x) { return '#' + x.id; }).join(', ') + '.';
    if (rest > 0) text += ' Ainda ' + nf.format(rest) + ' abertos: reenvie de novo.';
    return [refused.length || rest > 0 ? 'error' : 'ok', text];
  }
  function letters() {
    if (!token) return Promise.resolve();
    return api('GET', '/admin/api/dead-letters?limit=100').then(function (body) {
      var text = JSON.stringify(body);
      if (text === lettersSeen) return; // unchanged: the rows (and the focus on them) stay
      lettersSeen = text;
      var types = $('letter-types'); types.textContent = '';
      Object.keys(body.open || {}).forEach(function (type) {
        var n = body.open[type];
        var b = el('button', { type: 'button', text: n === 1 ? 'Reenviar o evento ' + type : 'Reenviar todos os ' + nf.format(n) + ' de ' + type });
        b.addEventListener('click', function () {
          ask('Reenviar eventos?', 'Os ' + nf.format(n) + ' eventos não entregues do tipo ' + type + ' vão ao broker de novo.', 'Reenviar todos', 'primary')
            .then(function (yes) { if (yes) replay('/admin/api/dead-letters/replay', { type: type }, function (r) { return replayedType(type, r); }); });
        });
        types.appendChild(b);
      });
      types.hidden = !Object.keys(body.open || {}).length;
      var rows = $('letters'); rows.textContent = '';
      (body.deadLetters || []).forEach(function (l) {
        var tr = el('tr');
        [l.id, l.type, l.subject, l.destination, ((l.errorCode || '') + ' ' + (l.error || '')).trim(), l.failures, new Date(l.lastFailedAt).toLocaleString('pt-BR'), l.replays].forEach(function (v) { cell(tr, v); });
        var td = cell(tr, '');
        var inspect = el('button', { type: 'button', text: 'Ver', 'aria-label': 'Ver o evento ' + l.id });
        inspect.addEventListener('click', function () { api('GET', '/admin/api/dead-letters/' + l.id).then(function (d) { $('letter').textContent = JSON.stringify(d, null, 2); $('letter').focus(); }, failed); });
        var again = el('button', { type: 'button', text: 'Reenviar', 'aria-label': 'Reenviar o evento ' + l.id });
        again.addEventListener('click', function () { replay('/admin/api/dead-letters/' + l.id + '/replay', null, function () { return ['ok', 'Evento ' + l.id + ' reenviado.']; }); });
        td.appendChild(inspect); td.appendChild(document.createTextNode(' ')); td.appendChild(again);
        rows.appendChild(tr);
      });
      $('no-letters').hidden = (body.deadLetters || []).length > 0;
    }, function () { /* the shows' poll says when the API is away */ });
  }

  if (token) api('GET', '/admin/api/shows').then(enter, function (e) { if (!(e instanceof Unauthorized)) signInError('A API não respondeu: entre de novo em instantes.'); });
})();
`;
