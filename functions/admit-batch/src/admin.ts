import Boom from '@hapi/boom';
import type { Request, ServerRoute } from '@hapi/hapi';
import Joi from 'joi';
import { html, Html, operatorCheck, operatorRoute, page, type FunctionContext } from '@premiere/runtime';
import { ensureRoom, quotaOf, readRoomState, ROOM_KEPT_AFTER_START_MS, roomKeys, ROOMS_KEY, showsWithTokens, ShowQueue, type RoomState } from '@premiere/waiting-room';
import type { AdmitBatchEnv } from './env';
import { bouncerOf } from './events';

type Ctx = FunctionContext<AdmitBatchEnv>;

const showParams = Joi.object({
  showId: Joi.string().pattern(/^[a-z0-9][a-z0-9-]{0,63}$/).required().messages({ 'string.pattern.base': '"showId" must be a show id: lowercase letters, digits and "-"' }),
});
const settings = Joi.object({
  capacity: Joi.number().integer().min(1).max(10_000),
  adaptive: Joi.boolean(),
  overbooking: Joi.number().min(0).max(1),
  // The live tokens one address may hold for this show (0: no cap); null: issue-token's default again.
  addressTokenCap: Joi.number().integer().min(0).max(1_000_000).allow(null),
}).or('capacity', 'adaptive', 'overbooking', 'addressTokenCap').messages({
  'object.missing': 'send "capacity" (1-10000), "adaptive" (true or false), "overbooking" (0-1) and/or "addressTokenCap" (0-1000000, 0: no cap; null: the default)',
});

type Action = 'pause' | 'resume' | 'drain' | 'undrain' | 'settings';

/** The operators' API and page: each show's live state; pause, resume, drain, capacity, overbooking. */
export function adminRoutes(ctx: Ctx): ServerRoute[] {
  const authorize = operatorCheck(ctx.config.ADMIN_TOKEN);

  /** The zone is sized by the bouncer only if the deployment lets it (ZONE_CAPACITY_ADAPTIVE). */
  const withSizing = (state: RoomState): RoomState => ({ ...state, capacityAdaptive: state.capacityAdaptive && ctx.config.ZONE_CAPACITY_ADAPTIVE });

  async function stateOf(showId: string): Promise<RoomState> {
    if (!(await ensureRoom(ctx.redis, ctx.db, showId, ctx.config))) throw Boom.notFound(`no show "${showId}"`);
    return withSizing((await readRoomState(ctx.redis, showId))!);
  }

  /**
   * Changes a room's settings (a null removes one: the default applies again): logged, recorded,
   * and followed by an admission pass.
   */
  async function act(request: Request, action: Action, changes: Record<string, string | number | null>) {
    authorize(request);
    const showId = request.params.showId as string;
    const before = await stateOf(showId);
    const room = roomKeys(showId)[0];
    const set = Object.entries(changes).filter(([, v]) => v !== null);
    const removed = Object.entries(changes).filter(([, v]) => v === null).map(([k]) => k);
    const write = ctx.redis.multi();
    if (set.length) write.hset(room, Object.fromEntries(set));
    if (removed.length) write.hdel(room, ...removed);
    await write.exec();
    // A new quota can put a sold-out show back on sale, or take it off: listed by the live tokens.
    const availability = 'quota' in changes ? await ShowQueue.of(ctx.redis, showId).relist() : '';
    const after = (await readRoomState(ctx.redis, showId))!;
    const log = request.logger();
    await ctx.transaction(async (tx) => {
      await tx.query('INSERT INTO admin_actions (show_id, action, before, after, client) VALUES ($1, $2, $3, $4, $5)', [showId, action, before, after, request.info.remoteAddress]);
      if (availability) await tx.emit({ type: 'premiere.show.availability.changed', subject: showId, data: { showId, availability } });
      await bouncerOf(ctx).admit(showId, tx, log);
    });
    log.info({ action, showId, changes, before: { capacity: before.capacity, quota: before.quota, paused: before.paused, draining: before.draining, addressTokenCap: before.addressTokenCap } }, 'admin action');
    return withSizing((await readRoomState(ctx.redis, showId))!);
  }

  const route = operatorRoute;

  return [
    {
      method: 'GET',
      path: '/admin',
      handler: (_request, h) => h.response(adminPage()).type('text/html; charset=utf-8').header('cache-control', 'no-store'),
    },
    route('GET', '/admin/api/shows', async (request) => {
      authorize(request);
      // The shows that issued tokens too (the durable ledger): a room Redis forgot is rebuilt, not left out.
      const withTokens = await showsWithTokens(ctx.db, new Date(Date.now() - ROOM_KEPT_AFTER_START_MS));
      const ids = [...new Set([...(await ctx.redis.smembers(ROOMS_KEY)), ...withTokens])].sort();
      for (const id of withTokens) await ensureRoom(ctx.redis, ctx.db, id, ctx.config);
      const states = await Promise.all(ids.map((id) => readRoomState(ctx.redis, id)));
      return { shows: states.filter((s): s is RoomState => s !== null).map(withSizing) };
    }),
    route('GET', '/admin/api/shows/{showId}', async (request) => {
      authorize(request);
      return stateOf((request.params.showId as string));
    }, { params: showParams }),
    route('POST', '/admin/api/shows/{showId}/pause', (request) => act(request, 'pause', { paused: 1 }), { params: showParams }),
    route('POST', '/admin/api/shows/{showId}/resume', (request) => act(request, 'resume', { paused: 0 }), { params: showParams }),
    route('POST', '/admin/api/shows/{showId}/drain', (request) => act(request, 'drain', { draining: 1 }), { params: showParams }),
    route('POST', '/admin/api/shows/{showId}/undrain', (request) => act(request, 'undrain', { draining: 0 }), { params: showParams }),
    route('PATCH', '/admin/api/shows/{showId}', async (request) => {
      authorize(request);
      const body = request.payload as { capacity?: number; adaptive?: boolean; overbooking?: number; addressTokenCap?: number | null };
      if (body.adaptive && !ctx.config.ZONE_CAPACITY_ADAPTIVE) throw Boom.conflict('zones are not sized by the bouncer in this deployment (ZONE_CAPACITY_ADAPTIVE is off)');
      const current = await stateOf((request.params.showId as string));
      const changes: Record<string, number | null> = {};
      // A capacity alone is fixed there; with "adaptive": true it is where the bouncer sizes from, and the least.
      if (body.capacity !== undefined) changes.capacity = body.capacity;
      if (body.capacity !== undefined || body.adaptive !== undefined) changes.capacityFixed = body.adaptive ? 0 : 1;
      if (body.capacity !== undefined && body.adaptive) changes.capacityBase = body.capacity;
      if (body.overbooking !== undefined) {
        changes.overbooking = body.overbooking;
        changes.quota = quotaOf(current.seats, body.overbooking);
      }
      if (body.addressTokenCap !== undefined) changes.addressCap = body.addressTokenCap;
      return act(request, 'settings', changes);
    }, { params: showParams, payload: settings }),
  ];
}

/** A small page for operators (waiting rooms, dead letters): the token is asked for once and kept for the tab only. */
function adminPage(): string {
  const script = new Html(`<script>
(function () {
  var token = sessionStorage.getItem('premiere-admin');
  function ask() { token = prompt('Admin token'); if (token) sessionStorage.setItem('premiere-admin', token); }
  if (!token) ask();
  function call(method, path, body) { return api(method, '/admin/api/shows' + path, body); }
  function api(method, path, body) {
    return fetch(path, { method: method, headers: Object.assign({ authorization: 'Bearer ' + token }, body ? { 'content-type': 'application/json' } : {}), body: body ? JSON.stringify(body) : undefined })
      .then(function (r) { if (r.status === 401) { sessionStorage.removeItem('premiere-admin'); ask(); } return r.json(); });
  }
  function cell(tr, v) { var td = document.createElement('td'); td.textContent = v; tr.appendChild(td); return td; }
  function button(td, label, fn) { var b = document.createElement('button'); b.textContent = label; b.onclick = fn; td.appendChild(b); }
  function refresh() {
    call('GET', '').then(function (body) {
      var rows = document.getElementById('rows'); rows.textContent = '';
      (body.shows || []).forEach(function (s) {
        var tr = document.createElement('tr');
        [s.showId, s.tokensLive + ' / ' + s.quota + ' (' + s.tokensIssued + ' issued, ' + s.tokensReturned + ' back)', s.tokensLeft, s.waiting + (s.preQueue ? ' (+' + s.preQueue + ' pre)' : ''), s.inside + ' / ' + s.capacity + (s.capacityAdaptive ? ' (auto)' : ''),
         s.admissionsLastMinute, s.paceSeconds ? Math.round(s.paceSeconds * Math.max(1, s.waiting)) + ' s' : '–',
         (s.paused ? 'paused ' : '') + (s.draining ? 'draining' : '')].forEach(function (v) { cell(tr, v); });
        var td = cell(tr, '');
        var id = encodeURIComponent(s.showId);
        button(td, s.paused ? 'Resume' : 'Pause', function () { call('POST', '/' + id + (s.paused ? '/resume' : '/pause')).then(refresh); });
        button(td, s.draining ? 'Undrain' : 'Drain', function () { call('POST', '/' + id + (s.draining ? '/undrain' : '/drain')).then(refresh); });
        button(td, 'Capacity…', function () { var c = Number(prompt('Zone capacity (fixed until set to auto)', s.capacity)); if (c) call('PATCH', '/' + id, { capacity: c }).then(refresh); });
        if (!s.capacityAdaptive) button(td, 'Auto capacity', function () { call('PATCH', '/' + id, { adaptive: true }).then(refresh); });
        button(td, 'Overbooking…', function () { var o = prompt('Overbooking (0-1)', s.overbooking); if (o !== null) call('PATCH', '/' + id, { overbooking: Number(o) }).then(refresh); });
        button(td, 'Per address…', function () { var c = prompt('Live tokens one address may hold for this show (0: no cap; empty: the default)', s.addressTokenCap === null ? '' : s.addressTokenCap); if (c !== null) call('PATCH', '/' + id, { addressTokenCap: c === '' ? null : Number(c) }).then(refresh); });
        rows.appendChild(tr);
      });
    });
  }
  function letters() {
    api('GET', '/admin/api/dead-letters?limit=100').then(function (body) {
      var rows = document.getElementById('letters'); rows.textContent = '';
      var types = document.getElementById('letter-types'); types.textContent = '';
      Object.keys(body.open || {}).forEach(function (type) {
        button(types, 'Replay all ' + body.open[type] + ' of ' + type, function () {
          if (confirm('Send every open dead letter of ' + type + ' to the broker again?')) api('POST', '/admin/api/dead-letters/replay', { type: type }).then(letters);
        });
      });
      (body.deadLetters || []).forEach(function (l) {
        var tr = document.createElement('tr');
        [l.id, l.type, l.subject || '', l.destination, (l.errorCode || '') + ' ' + (l.error || ''), l.failures, new Date(l.lastFailedAt).toLocaleString(), l.replays].forEach(function (v) { cell(tr, v); });
        var td = cell(tr, '');
        button(td, 'Inspect', function () { api('GET', '/admin/api/dead-letters/' + l.id).then(function (d) { document.getElementById('letter').textContent = JSON.stringify(d, null, 2); }); });
        button(td, 'Replay', function () { api('POST', '/admin/api/dead-letters/' + l.id + '/replay').then(letters); });
        rows.appendChild(tr);
      });
      document.getElementById('no-letters').hidden = (body.deadLetters || []).length > 0;
    });
  }
  refresh(); setInterval(refresh, 5000);
  letters(); setInterval(letters, 15000);
})();
</script>`);
  return page(
    'Waiting rooms',
    html`<h1>Waiting rooms</h1>
<table class="card"><thead><tr><th>show</th><th>live tokens / quota</th><th>left</th><th>waiting</th><th>inside / capacity</th><th>admitted last minute</th><th>wait at the back</th><th>state</th><th></th></tr></thead><tbody id="rows"></tbody></table>
<p class="muted">Live, every 5 s. Every action is logged and recorded in admit_batch.admin_actions.</p>
<h2>Dead letters</h2>
<p class="muted">Events the broker could not deliver after every retry, waiting to be replayed (newest first; replayed ones are kept, under <code>?state=replayed</code>). A replay sends the event again, unchanged: a consumer that had handled it already ignores it.</p>
<p id="letter-types"></p>
<table class="card"><thead><tr><th>#</th><th>type</th><th>subject</th><th>could not reach</th><th>error</th><th>failures</th><th>last failed</th><th>replays</th><th></th></tr></thead><tbody id="letters"></tbody></table>
<p id="no-letters" class="muted">None: every event was delivered.</p>
<pre id="letter"></pre>${script}`,
  );
}
