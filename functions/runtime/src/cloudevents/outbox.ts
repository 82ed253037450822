import { randomUUID } from 'node:crypto';
import { CloudEvent, HTTP } from 'cloudevents';
import type pg from 'pg';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { inTransaction, type Queryable } from '../postgres';

/** An event a function announces. Its source is the function; its subject the show or order id. */
export interface EventToEmit {
  type: string;
  subject?: string;
  data: Record<string, unknown>;
}

/** `premiere.<entity>.<past-tense verb>`; the entity may have several parts (show.availability). */
export const EVENT_TYPE = /^premiere(\.[a-z][a-z0-9-]*){2,}$/;

interface OutboxRow {
  id: string;
  event_id: string;
  type: string;
  subject: string | null;
  data: Record<string, unknown>;
  created_at: Date;
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

/** Sends one CloudEvent to the broker in binary mode; throws unless the broker answers 2xx. */
export async function sendEvent(sink: string, event: CloudEvent<unknown>, timeoutMs = 5_000): Promise<void> {
  const message = HTTP.binary(event);
  const res = await fetch(sink, {
    method: 'POST',
    headers: message.headers as Record<string, string>,
    body: message.body as string,
    signal: AbortSignal.timeout(timeoutMs),
  });
  await res.arrayBuffer().catch(() => undefined);
  if (!res.ok) throw new Error(`broker answered ${res.status}`);
}

/**
 * The transactional outbox of one function: `add` inside the caller's transaction, then `relay`
 * publishes what is committed and unpublished, oldest first. Rows are locked while being sent
 * (SKIP LOCKED), so replicas relaying at once do not send the same row concurrently; a row may
 * still be sent twice (sent, then the process dies before marking it), which consumers dedupe by
 * source + id.
 */
export class Outbox {
  private readonly inFlight = new Set<Promise<unknown>>();
  private timer?: NodeJS.Timeout;
  private lastPrune = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly opts: {
      source: string;
      sink: string;
      /** Extension attributes added to every event (K_CE_OVERRIDES). */
      extensions?: Record<string, unknown>;
      log: Logger;
      metrics: Metrics;
      retentionHours: number;
    },
  ) {}

  async add(client: Queryable, event: EventToEmit): Promise<string> {
    assertEventType(event.type); // at insert, not at publish: the caller's transaction fails
    const { rows } = await client.query<{ id: string }>(
      'INSERT INTO outbox (event_id, type, subject, data) VALUES ($1, $2, $3, $4) RETURNING id',
      [randomUUID(), event.type, event.subject ?? null, JSON.stringify(event.data)],
    );
    return rows[0].id;
  }

  /** Publishes the given rows now, in the background (after their transaction committed). */
  publishSoon(ids: string[]): void {
    if (ids.length === 0) return;
    const p = this.relay(ids).catch((err) => this.opts.log.warn({ err }, 'outbox publish failed; the relay will retry'));
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  /** Publishes due unpublished events (only `ids` when given). Returns how many were published. */
  async relay(ids?: string[], batch = 100): Promise<number> {
    let total = 0;
    for (;;) {
      const { sent, failed } = await inTransaction(this.pool, async (client) => {
        const { rows } = await client.query<OutboxRow>(
          `SELECT id, event_id, type, subject, data, created_at FROM outbox
            WHERE published_at IS NULL AND next_attempt_at <= now() AND ($2::bigint[] IS NULL OR id = ANY($2))
            ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
          [batch, ids ?? null],
        );
        const done: string[] = [];
        let error: unknown;
        for (const row of rows) {
          try {
            await sendEvent(this.opts.sink, buildEvent({ type: row.type, subject: row.subject ?? undefined, data: row.data }, this.opts, row.event_id, row.created_at));
            done.push(row.id);
            this.opts.metrics.eventsPublished.inc({ type: row.type });
          } catch (err) {
            error = err;
            this.opts.metrics.publishFailures.inc();
            // Back off this row (2^attempts s, at most 5 min); the broker is likely down, so stop here.
            await client.query(
              `UPDATE outbox SET attempts = attempts + 1, last_error = $2,
                      next_attempt_at = now() + least(power(2, attempts), 300) * interval '1 second'
                WHERE id = $1`,
              [row.id, String((err as Error).message ?? err).slice(0, 500)],
            );
            break;
          }
        }
        if (done.length > 0) {
          await client.query('UPDATE outbox SET published_at = now(), attempts = attempts + 1 WHERE id = ANY($1)', [done]);
        }
        return { sent: done.length, failed: error !== undefined ? error : null };
      });
      total += sent;
      if (failed) throw failed;
      if (ids || sent < batch) return total;
    }
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
