import Boom from '@hapi/boom';
import type { Request, ServerRoute } from '@hapi/hapi';
import Joi from 'joi';
import {
  connectionAddress,
  Counter,
  Gauge,
  InvalidEvent,
  operatorCheck,
  operatorRoute,
  parseCloudEvent,
  refuseUnauthenticated,
  type FunctionContext,
} from '@premiere/runtime';
import type { AdmitBatchEnv } from './env';

type Ctx = FunctionContext<AdmitBatchEnv>;

/**
 * The broker's dead letters, kept in PostgreSQL (admit_batch.dead_letters) until an operator
 * replays them. Every Trigger's (and the Broker's) `delivery.deadLetterSink` is admit-batch's
 * `POST /dead-letters`, which takes them as /events takes deliveries (the broker's sender
 * identity, binary or structured mode) and stores each once, however often it is sent. Operators
 * list, inspect and replay them (`/admin/api/dead-letters`): a replay sends the event on to the
 * broker as it was (same id and source) through the outbox, so a consumer that had handled it
 * after all dedupes it.
 */

/** What Knative adds to a dead-lettered event (knative.dev/eventing pkg/channel/attributes). */
const ERROR_DEST = 'knativeerrordest';
const ERROR_CODE = 'knativeerrorcode';
const ERROR_DATA = 'knativeerrordata';
/** The event's own attributes, stored in columns of their own; anything else is an extension. */
const CORE = [
  'specversion',
  'id',
  'source',
  'type',
  'subject',
  'time',
  'datacontenttype',
  'dataschema',
  'data',
  'data_base64',
];
/** The most one call replays; the rest wait for the next call (the answer says how many are left). */
const REPLAY_BATCH = 500;
/** More would not fit a broker's request headers (binary mode: one header each). */
const MAX_REPLAYED_EXTENSIONS = 100;
const METRICS_QUERY_MS = 1_000;
const SUMMARY_COLUMNS =
  'id, event_id, source, type, subject, time, destination, error_code, left(error_data, 200) AS error_data, first_failed_at, last_failed_at, failures, open, replays, last_replayed_at';

interface Row {
  id: string;
  event_id: string;
  source: string;
  type: string;
  subject: string | null;
  time: string | null;
  datacontenttype: string | null;
  dataschema: string | null;
  data: unknown;
  data_base64: string | null;
  extensions: Record<string, unknown>;
  destination: string;
  error_code: number | null;
  error_data: string | null;
  first_failed_at: Date;
  last_failed_at: Date;
  failures: number;
  open: boolean;
  replays: number;
  last_replayed_at: Date | null;
  last_replayed_by: string | null;
}

/** knativeerrordata is the failed answer's body in base64 (cut at 1,024 characters); anything else is kept as sent. */
function decodeErrorData(value: unknown): string | null {
  if (value === undefined || value === null || value === '') return null;
  const text = String(value);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return text;
  // Knative cuts the base64 at 1,024 characters, which may split the body's last character.
  const decoded = Buffer.from(text, 'base64')
    .toString('utf8')
    .replace(/\uFFFD{1,3}$/, '');
  return decoded.includes('\uFFFD') ? text : decoded;
}

// eslint-disable-next-line no-control-regex -- matches NUL on purpose: PostgreSQL text refuses it
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Text as PostgreSQL takes it: no NUL, no lone surrogate (each becomes U+FFFD). For the letter's
 * own columns; its data is kept as it came (see letterOf).
 */
const storable = <T extends string | null>(text: T): T =>
  (text === null ? text : text.replace(UNSTORABLE, '\uFFFD')) as T;

/**
 * The columns of a dead letter, from the event Knative sent to the sink. `asBytes`: the data kept
 * as the bytes of its JSON (data_base64), for data PostgreSQL's jsonb cannot take (a NUL, a lone
 * surrogate, nesting too deep): a replay sends the same body.
 */
export function letterOf(event: Record<string, unknown>, asBytes = false) {
  const extensions: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(event)) {
    if (!CORE.includes(k) && ![ERROR_DEST, ERROR_CODE, ERROR_DATA].includes(k) && v !== undefined)
      extensions[storable(k)] = typeof v === 'string' ? storable(v) : v;
  }
  const binary = event.data instanceof Uint8Array;
  const json = binary || event.data === undefined ? null : JSON.stringify(event.data);
  const code = Number(event[ERROR_CODE]);
  const text = (v: unknown) => (v === undefined || v === null ? null : storable(String(v)));
  return {
    event_id: storable(String(event.id)),
    source: storable(String(event.source)),
    type: storable(String(event.type)),
    subject: text(event.subject),
    time: text(event.time),
    datacontenttype: text(event.datacontenttype),
    dataschema: text(event.dataschema),
    data: asBytes ? null : json,
    data_base64: binary
      ? Buffer.from(event.data as Uint8Array).toString('base64')
      : asBytes && json !== null
        ? Buffer.from(json).toString('base64')
        : text(event.data_base64),
    extensions: JSON.stringify(extensions),
    destination: storable(String(event[ERROR_DEST] ?? '')),
    // An HTTP status, or nothing: anything else (a number past integer's range) is not one.
    error_code: Number.isInteger(code) && code >= 100 && code <= 999 ? code : null,
    error_data: text(decodeErrorData(event[ERROR_DATA])),
  };
}

/**
 * Why a stored letter cannot be published as it was (the CloudEvents library and the broker refuse
 * it), or null: checked before a replay, so that none is left stuck in the outbox.
 */
export function unreplayable(row: Pick<Row, 'extensions'>): string | null {
  const names = Object.keys(row.extensions);
  if (names.length > MAX_REPLAYED_EXTENSIONS)
    return `it has ${names.length} extensions (a broker takes at most ${MAX_REPLAYED_EXTENSIONS})`;
  const bad = names.find((n) => !/^[a-z0-9]{1,20}$/.test(n) || n in Object.prototype);
  return bad === undefined ? null : `its extension "${bad}" is not one a CloudEvent may carry`;
}

/** The event as its producer sent it, for a replay: the dead letter's own extensions left out. */
export function cloudEventOf(row: Row): Record<string, unknown> {
  const event: Record<string, unknown> = {
    ...row.extensions,
    specversion: '1.0',
    id: row.event_id,
    source: row.source,
    type: row.type,
  };
  if (row.subject !== null) event.subject = row.subject;
  if (row.time !== null) event.time = row.time;
  if (row.datacontenttype !== null) event.datacontenttype = row.datacontenttype;
  if (row.dataschema !== null) event.dataschema = row.dataschema;
  if (row.data_base64 !== null) event.data_base64 = row.data_base64;
  else if (row.data !== null) event.data = row.data;
  return event;
}

const summary = (r: Row) => ({
  id: Number(r.id),
  eventId: r.event_id,
  source: r.source,
  type: r.type,
  subject: r.subject,
  time: r.time,
  destination: r.destination,
  errorCode: r.error_code,
  error: r.error_data === null ? null : r.error_data.slice(0, 200),
  firstFailedAt: r.first_failed_at,
  lastFailedAt: r.last_failed_at,
  failures: r.failures,
  open: r.open,
  replays: r.replays,
  lastReplayedAt: r.last_replayed_at,
});

const detail = (r: Row) => ({
  ...summary(r),
  error: r.error_data,
  lastReplayedBy: r.last_replayed_by,
  event: cloudEventOf(r),
});

function deadLetterMetrics(ctx: Ctx) {
  const registers = [ctx.metrics.registry];
  return {
    received: new Counter({
      name: 'premiere_dead_letters_received_total',
      help: 'Dead letters the broker sent, by type and outcome: stored (new), failed_again (a replay failed too), duplicate (sent again, kept once)',
      labelNames: ['type', 'outcome'] as const,
      registers,
    }),
    replayed: new Counter({
      name: 'premiere_dead_letters_replayed_total',
      help: 'Dead letters an operator replayed, by type',
      labelNames: ['type'] as const,
      registers,
    }),
    open: new Gauge({
      name: 'premiere_dead_letters_open',
      help: 'Dead letters stored and not replayed since they last failed, by type (read from the database at each scrape: every replica reports the same)',
      labelNames: ['type'] as const,
      registers,
      async collect() {
        let timer: NodeJS.Timeout | undefined;
        try {
          const { rows } = await Promise.race([
            ctx.db.query<{ type: string; open: string }>(
              'SELECT type, count(*) FILTER (WHERE open) AS open FROM dead_letters GROUP BY type',
            ),
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => reject(new Error(`no answer within ${METRICS_QUERY_MS} ms`)), METRICS_QUERY_MS);
            }),
          ]);
          this.reset();
          for (const r of rows) this.labels(r.type).set(Number(r.open));
        } catch (err) {
          // The database is away: the last figures stay, and /readyz says why.
          ctx.log.debug({ err: (err as Error).message }, 'dead letters not counted');
        } finally {
          clearTimeout(timer);
        }
      },
    }),
  };
}

const TYPE = Joi.string()
  .max(256)
  .pattern(/^[A-Za-z0-9._-]+$/)
  .messages({ 'string.pattern.base': '"type" must be a CloudEvent type, e.g. premiere.refund.requested' });
const listQuery = Joi.object({
  type: TYPE,
  state: Joi.string().valid('open', 'replayed', 'all').default('open'),
  limit: Joi.number().integer().min(1).max(200).default(50),
  before: Joi.number().integer().min(1).description('the "next" of the previous page'),
});
const idParams = Joi.object({
  id: Joi.number()
    .integer()
    .min(1)
    .max(Number.MAX_SAFE_INTEGER)
    .required()
    .messages({ 'number.base': '"id" must be a dead letter’s number' }),
});
const replayTypeBody = Joi.object({
  type: TYPE.required().messages({
    'any.required': 'send "type", the event type whose open dead letters are all replayed',
  }),
});

/** `POST /dead-letters` (the broker's dead-letter sink) and the operators' `/admin/api/dead-letters`. */
export function deadLetterRoutes(ctx: Ctx): ServerRoute[] {
  const authorize = operatorCheck(ctx.config.ADMIN_TOKEN);
  const metrics = deadLetterMetrics(ctx);

  /** Sends these letters on to the broker as they were and marks them replayed, in one transaction. */
  async function replay(
    request: Request,
    where: string,
    params: unknown[],
    refused: { id: number; why: string }[] = [],
  ): Promise<Row[]> {
    const client = connectionAddress(request);
    const rows = await ctx.transaction(async (tx) => {
      // Up to a batch of letters that can be replayed, read past those that cannot (left open), so
      // that a call never does nothing while the replayable ones wait behind them.
      const letters: Row[] = [];
      for (let after = 0; letters.length < REPLAY_BATCH;) {
        const { rows: locked } = await tx.query<Row>(
          `SELECT * FROM dead_letters WHERE (${where}) AND id > $${params.length + 1} ORDER BY id LIMIT ${REPLAY_BATCH} FOR UPDATE SKIP LOCKED`,
          [...params, after],
        );
        for (const r of locked) {
          const why = unreplayable(r);
          if (why) refused.push({ id: Number(r.id), why });
          else if (letters.length < REPLAY_BATCH) letters.push(r);
        }
        if (locked.length < REPLAY_BATCH) break;
        after = Number(locked[locked.length - 1].id);
      }
      // An event dead-lettered for two subscribers is sent once: the broker delivers it to both.
      const sent = new Set<string>();
      for (const r of letters) {
        const key = JSON.stringify([r.source, r.event_id]);
        if (!sent.has(key)) await tx.republish(cloudEventOf(r));
        sent.add(key);
      }
      const { rows: marked } = await tx.query<Row>(
        `UPDATE dead_letters SET open = false, replays = replays + 1, last_replayed_at = now(), last_replayed_by = $2
          WHERE id = ANY($1) RETURNING ${SUMMARY_COLUMNS}`,
        [letters.map((r) => r.id), client],
      );
      return marked;
    });
    for (const r of rows) metrics.replayed.labels(r.type).inc();
    if (rows.length)
      request.logger().info(
        {
          replayed: rows.map((r) => ({
            id: Number(r.id),
            eventId: r.event_id,
            type: r.type,
            destination: r.destination,
          })),
          client,
        },
        'dead letters replayed',
      );
    return rows.sort((a, b) => Number(a.id) - Number(b.id));
  }

  const admin = operatorRoute;

  return [
    {
      method: 'POST',
      path: '/dead-letters',
      // A dead letter is the event (at most 256 KiB, as /events takes) and Knative's few attributes.
      options: { payload: { parse: false, output: 'data', maxBytes: 264 * 1024 } },
      handler: async (request, h) => {
        const refused = await refuseUnauthenticated(ctx.senderIdentity, request, h, ctx.metrics);
        if (refused) return refused;
        let event: Record<string, unknown>;
        try {
          event = parseCloudEvent(
            request.headers,
            Buffer.isBuffer(request.payload) ? request.payload.toString('utf8') : '',
          ) as unknown as Record<string, unknown>;
        } catch (err) {
          if (!(err instanceof InvalidEvent)) throw err;
          request.logger().error({ reason: err.message }, 'dead letter refused: not a CloudEvent; it is lost');
          return h.response({ error: err.message }).code(400);
        }
        // Sent again before any replay: kept once. Sent after a replay: that replay failed too, open again.
        const store = (l: ReturnType<typeof letterOf>) =>
          ctx.db.query<{ id: string; failures: number }>(
            `INSERT INTO dead_letters (event_id, source, type, subject, time, datacontenttype, dataschema, data, data_base64, extensions, destination, error_code, error_data)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
             ON CONFLICT (source, event_id, destination) DO UPDATE
               SET open = true, failures = dead_letters.failures + 1, last_failed_at = now(), error_code = excluded.error_code, error_data = excluded.error_data
               WHERE NOT dead_letters.open
             RETURNING id, failures`,
            [
              l.event_id,
              l.source,
              l.type,
              l.subject,
              l.time,
              l.datacontenttype,
              l.dataschema,
              l.data,
              l.data_base64,
              l.extensions,
              l.destination,
              l.error_code,
              l.error_data,
            ],
          );
        let l: ReturnType<typeof letterOf>;
        try {
          l = letterOf(event);
        } catch (err) {
          if (!(err instanceof RangeError)) throw err;
          // Data nested deeper than JSON.stringify's stack: nothing here could keep or send it again.
          request
            .logger()
            .error(
              { eventId: String(event.id), eventType: String(event.type) },
              'dead letter refused: its data is nested too deep to keep; it is lost',
            );
          return h.response({ error: 'the event’s data is nested too deep to be kept' }).code(400);
        }
        const { rows } = await store(l).catch((err: { code?: string }) => {
          // Data jsonb cannot take (22…: a NUL or a lone surrogate escaped; 54…: nested too deep): kept as its bytes.
          if (!/^(22|54)/.test(err.code ?? '')) throw err;
          l = letterOf(event, true);
          return store(l);
        });
        const outcome = rows.length === 0 ? 'duplicate' : rows[0].failures === 1 ? 'stored' : 'failed_again';
        metrics.received.labels(l.type, outcome).inc();
        const line = {
          deadLetter: rows[0] ? Number(rows[0].id) : undefined,
          eventId: l.event_id,
          eventType: l.type,
          eventSource: l.source,
          destination: l.destination,
          errorCode: l.error_code,
          outcome,
        };
        if (outcome === 'duplicate') request.logger().info(line, 'dead letter received again; kept once');
        else
          request
            .logger()
            .error(
              { ...line, error: l.error_data?.slice(0, 200) },
              'event dead-lettered: stored for an operator to replay',
            );
        return h.response({ outcome }).code(202);
      },
    },
    admin(
      'GET',
      '/admin/api/dead-letters',
      async (request) => {
        authorize(request);
        const q = request.query as {
          type?: string;
          state: 'open' | 'replayed' | 'all';
          limit: number;
          before?: number;
        };
        const where: string[] = [];
        const params: unknown[] = [];
        if (q.type) where.push(`type = $${params.push(q.type)}`);
        if (q.state === 'open') where.push('open');
        if (q.state === 'replayed') where.push('NOT open');
        if (q.before) where.push(`id < $${params.push(q.before)}`);
        // Not the events themselves (up to 256 KiB each): one letter's detail has them.
        const { rows } = await ctx.db.query<Row>(
          `SELECT ${SUMMARY_COLUMNS} FROM dead_letters ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${params.push(q.limit + 1)}`,
          params,
        );
        const page = rows.slice(0, q.limit);
        const { rows: open } = await ctx.db.query<{ type: string; n: string }>(
          'SELECT type, count(*) AS n FROM dead_letters WHERE open GROUP BY type ORDER BY type',
        );
        return {
          deadLetters: page.map(summary),
          // Newest first; the next page is ?before=<next>.
          next: rows.length > q.limit ? Number(page[page.length - 1].id) : null,
          open: Object.fromEntries(open.map((r) => [r.type, Number(r.n)])),
        };
      },
      { query: listQuery },
    ),
    admin(
      'GET',
      '/admin/api/dead-letters/{id}',
      async (request) => {
        authorize(request);
        const { rows } = await ctx.db.query<Row>('SELECT * FROM dead_letters WHERE id = $1', [request.params.id]);
        if (!rows[0]) throw Boom.notFound(`no dead letter ${request.params.id}`);
        return detail(rows[0]);
      },
      { params: idParams },
    ),
    admin(
      'POST',
      '/admin/api/dead-letters/{id}/replay',
      async (request) => {
        authorize(request);
        // Replayed whether open or not: an operator may send one again on purpose.
        const refused: { id: number; why: string }[] = [];
        const [row] = await replay(request, 'id = $1', [request.params.id], refused);
        if (refused[0])
          throw Boom.conflict(
            `dead letter ${request.params.id} cannot be replayed as it was: ${refused[0].why}; inspect it and send its event yourself`,
          );
        if (!row) throw Boom.notFound(`no dead letter ${request.params.id} (or it is being replayed right now)`);
        return { replayed: 1, deadLetter: summary(row) };
      },
      { params: idParams },
    ),
    admin(
      'POST',
      '/admin/api/dead-letters/replay',
      async (request) => {
        authorize(request);
        const { type } = request.payload as { type: string };
        const refused: { id: number; why: string }[] = [];
        const rows = await replay(request, 'open AND type = $1', [type], refused);
        const { rows: left } = await ctx.db.query<{ n: string }>(
          'SELECT count(*) AS n FROM dead_letters WHERE open AND type = $1',
          [type],
        );
        // `refused`: those that cannot be published as they were (left open, see unreplayable).
        return { replayed: rows.length, left: Number(left[0].n), deadLetters: rows.map(summary), refused };
      },
      { payload: replayTypeBody },
    ),
  ];
}
