import { randomUUID } from 'node:crypto';
import { CloudEvent, HTTP, type CloudEventV1 } from 'cloudevents';
import type pg from 'pg';
import type { Logger } from '../logger';
import { Gauge, type Metrics } from '../metrics';
import { callHttp } from '../http-client';
import { inTransaction, type Queryable } from '../postgres';

/** An event a function announces. Its source is the function; its subject the show or order id. */
export interface EventToEmit {
  type: string;
  subject?: string;
  data: Record<string, unknown>;
}

/** `premiere.<entity>.<past-tense verb>`; the entity may have several parts (show.availability). */
export const EVENT_TYPE = /^premiere(\.[a-z][a-z0-9-]*){2,}$/;

/** A row of the outbox, as written and as the relay reads it. */
export interface OutboxRow {
  id: string;
  event_id: string;
  type: string;
  subject: string | null;
  data: Record<string, unknown>;
  created_at: Date;
  /** A whole CloudEvent sent as it is (a replayed dead letter); null for the function's own events. */
  cloudevent?: Record<string, unknown> | null;
}

function assertEventType(type: string): void {
  if (!EVENT_TYPE.test(type)) throw new Error(`event type "${type}" is not premiere.<entity>.<verb>`);
}

/**
 * The CloudEvent a function sends, from the outbox or as a reply: its source, the SinkBinding's
 * extensions (K_CE_OVERRIDES), JSON data. Refuses a type that is not premiere.<entity>.<verb>.
 */
export function buildEvent(
  event: EventToEmit,
  from: { source: string; extensions?: Record<string, unknown> },
  id: string = randomUUID(),
  time: Date = new Date(),
): CloudEvent<unknown> {
  assertEventType(event.type);
  return new CloudEvent({
    ...from.extensions,
    id,
    type: event.type,
    source: from.source,
    ...(event.subject ? { subject: event.subject } : {}),
    time: time.toISOString(),
    datacontenttype: 'application/json',
    data: event.data,
  });
}

/**
 * Sends one CloudEvent to the broker in binary mode, with the sender's token if it has one (the
 * broker's ingress checks it when sender identity is on); throws unless the broker answers 2xx.
 */
export async function sendEvent(
  sink: string,
  event: CloudEvent<unknown>,
  timeoutMs = 5_000,
  authorization?: string,
): Promise<void> {
  const message = HTTP.binary(event);
  const headers = message.headers as Record<string, string>;
  if (authorization) headers.authorization = authorization;
  const res = await callHttp(sink, { method: 'POST', headers, body: message.body as string, timeoutMs });
  if (res.status < 200 || res.status > 299) throw new Error(`broker answered ${res.status}`);
}

/**
 * How long a row just written belongs to the process that wrote it: it publishes the row right
 * after commit, and the relay leaves the row alone meanwhile, so the two never send it at once.
 * A row its writer could not publish (the process died, the broker was down) goes to the relay
 * after this.
 */
const WRITER_GRACE_SECONDS = 10;

/**
 * The transactional outbox of one function: `add` inside the caller's transaction, then
 * `publishSoon` publishes those rows after commit from what was written (one update marks them:
 * no read, no lock, one round trip for the lot). `relay` publishes whatever is
 * still unpublished and due, oldest first; rows it is sending are locked (SKIP LOCKED), so
 * replicas relaying at once do not send the same row concurrently. A row may still be sent twice
 * (sent, then the process dies before marking it), which consumers dedupe by source + id.
 */
export class Outbox {
  private readonly inFlight = new Set<Promise<unknown>>();
  private timer?: NodeJS.Timeout;
  private lastPrune = 0;
  private lastNoSinkWarning = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly opts: {
      source: string;
      /**
       * The broker (K_SINK); undefined until the SinkBinding gives one: rows then wait, unsent and
       * not backed off, for a process that has it (the function's next revision).
       */
      sink?: string;
      /** Extension attributes added to every event (K_CE_OVERRIDES). */
      extensions?: Record<string, unknown>;
      /** The sender's `Authorization` for the broker, if it has a token. */
      authorization?: () => string | undefined;
      log: Logger;
      metrics: Metrics;
      retentionHours: number;
    },
  ) {
    const db = this.pool;
    // What a stuck outbox looks like from outside (no K_SINK ever came, the broker is not Ready):
    // events kept but not sent, while the function itself is Ready.
    new Gauge({
      name: 'premiere_outbox_oldest_unpublished_seconds',
      help: 'Age of the oldest event in the outbox not yet delivered to the broker (0: none waiting)',
      registers: [opts.metrics.registry],
      async collect() {
        try {
          const { rows } = await db.query<{ age: number }>(
            `SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 AS age FROM outbox WHERE published_at IS NULL`,
          );
          this.set(rows[0].age);
        } catch {
          // PostgreSQL away: /metrics still answers, with the last value read.
        }
      },
    });
  }

  async add(client: Queryable, event: EventToEmit): Promise<OutboxRow> {
    assertEventType(event.type); // at insert, not at publish: the caller's transaction fails
    const eventId = randomUUID();
    const { rows } = await client.query<{ id: string; created_at: Date }>(
      `INSERT INTO outbox (event_id, type, subject, data, next_attempt_at) VALUES ($1, $2, $3, $4, now() + $5 * interval '1 second')
       RETURNING id, created_at`,
      [eventId, event.type, event.subject ?? null, JSON.stringify(event.data), WRITER_GRACE_SECONDS],
    );
    return {
      id: rows[0].id,
      event_id: eventId,
      type: event.type,
      subject: event.subject ?? null,
      data: event.data,
      created_at: rows[0].created_at,
    };
  }

  /**
   * A CloudEvent sent on as it is, with its own id, source, time and extensions (an operator's
   * replay of a dead letter), inside the caller's transaction. The row's event_id is its own key,
   * not the event's: the same event may be replayed again.
   */
  async addVerbatim(client: Queryable, event: Record<string, unknown>): Promise<OutboxRow> {
    const eventId = randomUUID();
    const { rows } = await client.query<{ id: string; created_at: Date }>(
      `INSERT INTO outbox (event_id, type, subject, data, cloudevent, next_attempt_at) VALUES ($1, $2, $3, '{}', $4, now() + $5 * interval '1 second')
       RETURNING id, created_at`,
      [eventId, event.type, event.subject ?? null, JSON.stringify(event), WRITER_GRACE_SECONDS],
    );
    return {
      id: rows[0].id,
      event_id: eventId,
      type: String(event.type),
      subject: (event.subject as string | undefined) ?? null,
      data: {},
      created_at: rows[0].created_at,
      cloudevent: event,
    };
  }

  /** Publishes rows just committed, in the background; what it cannot publish, the relay will. */
  publishSoon(rows: OutboxRow[]): void {
    if (rows.length === 0 || !this.opts.sink) return;
    const p = this.publish(rows, this.pool)
      .then(({ failed }) => failed)
      .catch((err: unknown) => err) // PostgreSQL failed us: the rows are still unpublished
      .then((err) => err && this.opts.log.warn({ err }, 'outbox publish failed; the relay will retry'));
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  /** Publishes due unpublished events. Returns how many were published (none without a sink). */
  async relay(batch = 100): Promise<number> {
    if (!this.opts.sink) {
      await this.warnWithoutSink();
      return 0;
    }
    let total = 0;
    for (;;) {
      const { sent, failed } = await inTransaction(this.pool, async (client) => {
        const { rows } = await client.query<OutboxRow>(
          `SELECT id, event_id, type, subject, data, created_at, cloudevent FROM outbox
            WHERE published_at IS NULL AND next_attempt_at <= now()
            ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
          [batch],
        );
        return this.publish(rows, client);
      });
      total += sent;
      if (failed) throw failed; // after commit: the marks and the back-off stay
      if (sent < batch) return total;
    }
  }

  /**
   * Sends `rows` in order and marks those the broker took. At the first failure that row is backed
   * off (2^attempts s, at most 5 min) and the rest wait: the broker is likely down.
   */
  private async publish(rows: OutboxRow[], client: Queryable): Promise<{ sent: number; failed: unknown }> {
    const done: string[] = [];
    let failed: unknown = null;
    for (const row of rows) {
      try {
        const event = row.cloudevent
          ? new CloudEvent<unknown>(row.cloudevent as unknown as CloudEventV1<unknown>, false)
          : buildEvent(
              { type: row.type, subject: row.subject ?? undefined, data: row.data },
              this.opts,
              row.event_id,
              row.created_at,
            );
        await sendEvent(this.opts.sink!, event, 5_000, this.opts.authorization?.());
      } catch (err) {
        failed = err;
        this.opts.metrics.publishFailures.inc();
        await client.query(
          `UPDATE outbox SET attempts = attempts + 1, last_error = $2,
                  next_attempt_at = now() + least(power(2, attempts), 300) * interval '1 second'
            WHERE id = $1`,
          [row.id, String((err as Error).message ?? err).slice(0, 500)],
        );
        break;
      }
      done.push(row.id);
      this.opts.metrics.eventsPublished.inc({ type: row.type });
    }
    if (done.length > 0)
      await client.query('UPDATE outbox SET published_at = now(), attempts = attempts + 1 WHERE id = ANY($1)', [done]);
    return { sent: done.length, failed };
  }

  /** Says, at most once a minute, that events wait for a K_SINK that has not come. */
  private async warnWithoutSink(): Promise<void> {
    if (Date.now() - this.lastNoSinkWarning < 60_000) return;
    const { rows } = await this.pool.query<{ waiting: number }>(
      'SELECT count(*)::int AS waiting FROM outbox WHERE published_at IS NULL',
    );
    if (rows[0].waiting === 0) return;
    this.lastNoSinkWarning = Date.now();
    this.opts.log.warn(
      { waiting: rows[0].waiting },
      'events wait in the outbox with no K_SINK to send them to: is the Broker Ready, and the SinkBinding bound to this function?',
    );
  }

  /** Forgets published events and handled-event records older than the retention. */
  async prune(): Promise<void> {
    const hours = this.opts.retentionHours;
    await this.pool.query(`DELETE FROM outbox WHERE published_at < now() - $1 * interval '1 hour'`, [hours]);
    await this.pool.query(`DELETE FROM inbox WHERE received_at < now() - $1 * interval '1 hour'`, [hours]);
  }

  /** One relay pass (and, at most every 10 minutes, a prune); never throws. */
  async tick(): Promise<void> {
    try {
      const n = await this.relay();
      if (n > 0) this.opts.log.info({ published: n }, 'outbox relay published pending events');
      if (Date.now() - this.lastPrune > 600_000) {
        this.lastPrune = Date.now();
        await this.prune();
      }
    } catch (err) {
      this.opts.log.warn({ err }, 'outbox relay pass failed; will retry');
    }
  }

  startRelay(intervalMs: number): void {
    const loop = async () => {
      await this.tick();
      if (this.timer) this.timer = setTimeout(loop, intervalMs).unref();
    };
    this.timer = setTimeout(loop, 0).unref();
  }

  /** Stops the relay timer and waits (bounded) for background publishes, then tries once more. */
  async stop(timeoutMs: number): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const settle = Promise.allSettled([...this.inFlight]);
    await Promise.race([settle, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }
}
