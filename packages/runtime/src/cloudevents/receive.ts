import { CloudEvent, HTTP, type CloudEventV1 } from 'cloudevents';
import type { Request, ResponseObject, ResponseToolkit, ServerRoute } from '@hapi/hapi';
import Joi from 'joi';
import type pg from 'pg';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { UNAVAILABLE_RETRY_AFTER_SECONDS, unavailableMessage, unavailableService } from '../unavailable';
import { buildEvent, type EventToEmit } from './outbox';
import { EventUnauthenticated, SenderKeysUnavailable, type SenderIdentity } from './sender-identity';

/** What Knative PingSource sends; the schedule's name is in its data (`{"schedule": "<name>"}`). */
export const PING_EVENT_TYPE = 'dev.knative.sources.ping';

/** A state change and the events it announces, committed together. */
export interface Transaction {
  query: pg.PoolClient['query'];
  emit(event: EventToEmit): Promise<void>;
  /**
   * Sends on a whole CloudEvent as it is (its own id, source, time, extensions), after commit:
   * an operator's replay of a dead letter, which consumers dedupe by source + id.
   */
  republish(event: Record<string, unknown>): Promise<void>;
}

/**
 * What a handler does with an event of its type, `data` validated (typed as its contract says);
 * `Deps`: what the function's setup made (FunctionDefinition.setup), given as `deps`.
 */
export type EventHandlerBody<Ctx, Data = any, Deps = undefined> =
  | {
      /**
       * Runs in the transaction that records the event as handled: if it throws, nothing is kept
       * and the broker redelivers. May return a reply event, which the broker publishes.
       */
      handle(args: {
        event: CloudEventV1<unknown>;
        data: Data;
        tx: Transaction;
        ctx: Ctx;
        deps: Deps;
        log: Logger;
      }): Promise<EventToEmit | void>;
    }
  | {
      /**
       * For work that waits on something slow outside (a payment provider): runs with no
       * transaction open, so no database connection waits with it. The inbox does not dedupe it:
       * it must be idempotent by its own record and commit its own transactions. If it throws,
       * the broker redelivers.
       */
      work(args: { event: CloudEventV1<unknown>; data: Data; ctx: Ctx; deps: Deps; log: Logger }): Promise<void>;
    };

export type EventHandler<Ctx, Data = any, Deps = undefined> = {
  /** Validates `event.data`; an event whose data fails is refused with 400 and changes nothing. */
  data: Joi.Schema;
} & EventHandlerBody<Ctx, Data, Deps>;

/** An event type as the runtime needs it: its type and the one schema of its data (@premiere/contracts makes them). */
export interface EventContract<D> {
  readonly type: string;
  readonly data: Joi.ObjectSchema<D>;
}

/** A handler of one contract's events: the route validates their data against the contract's schema. */
export type ContractHandler<Ctx, Deps = undefined> = EventHandler<Ctx, any, Deps> & { readonly type: string };

/** Handles events of `contract`'s type: `data` is validated against its schema, and typed by it. */
export function on<D, Ctx, Deps = undefined>(
  contract: EventContract<D>,
  body: EventHandlerBody<Ctx, D, Deps>,
): ContractHandler<Ctx, Deps> {
  return { ...body, type: contract.type, data: contract.data } as ContractHandler<Ctx, Deps>;
}

/** A function's `events`, keyed by each handler's contract type; a type handled twice is a mistake. */
export function eventHandlers<Ctx, Deps = undefined>(
  ...handlers: ContractHandler<Ctx, Deps>[]
): Record<string, EventHandler<Ctx, any, Deps>> {
  const byType: Record<string, EventHandler<Ctx, any, Deps>> = {};
  for (const h of handlers) {
    if (byType[h.type]) throw new Error(`two handlers of ${h.type}`);
    byType[h.type] = h;
  }
  return byType;
}

/**
 * A scheduled job: a function run in the transaction that records the ping as handled (for jobs
 * that emit events), or `{ work }`, run with no transaction open, for jobs that wait on something
 * slow outside (the legacy system, the payment provider) and commit their own transactions.
 */
export type ScheduleHandler<Ctx, Deps = undefined> =
  | ((args: { tx: Transaction; ctx: Ctx; deps: Deps; log: Logger }) => Promise<void>)
  | { work(args: { ctx: Ctx; deps: Deps; log: Logger }): Promise<void> };

export class InvalidEvent extends Error {}

/**
 * The longest each attribute may be: the inbox keys an event by source and id (an index entry has
 * a size limit), and nothing of ours sends more. Any other attribute (an extension) is bounded too.
 */
const ATTRIBUTE_MAX: Record<string, number> = { id: 256, source: 512, type: 256, subject: 512 };
const OTHER_ATTRIBUTE_MAX = 1_024;
/** RFC 3339 (what CloudEvents requires of `time`): the SDK takes anything. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function checkAttributes(event: CloudEventV1<unknown>): void {
  for (const [name, value] of Object.entries(event)) {
    if (name === 'data' || name === 'data_base64') continue;
    const max = ATTRIBUTE_MAX[name] ?? OTHER_ATTRIBUTE_MAX;
    if (String(value).length > max)
      throw new InvalidEvent(`not a valid CloudEvent: the attribute "${name}" is longer than ${max} characters`);
  }
}

/** The time as sent (the SDK puts "now" in place of one it cannot read). */
function checkTime(sent: unknown): void {
  if (sent === undefined) return;
  const time = String(sent);
  if (!RFC3339.test(time) || Number.isNaN(Date.parse(time))) {
    throw new InvalidEvent(
      `not a valid CloudEvent: "time" must be an RFC 3339 timestamp, e.g. 2026-12-02T12:00:00Z; got ${JSON.stringify(time.slice(0, 40))}`,
    );
  }
}

/**
 * One CloudEvent from an HTTP message in binary or structured mode, validated: throws
 * InvalidEvent saying what is wrong. Batches are refused: one event per request.
 */
export function parseCloudEvent(headers: Record<string, unknown>, body: string): CloudEventV1<unknown> {
  let parsed: CloudEventV1<unknown> | CloudEventV1<unknown>[];
  try {
    parsed = HTTP.toEvent({ headers: headers as Record<string, string>, body });
    // toEvent does not validate; an event missing a required attribute must not get through.
    for (const e of Array.isArray(parsed) ? parsed : [parsed]) (e as CloudEvent<unknown>).validate();
  } catch (err) {
    const e = err as Error & { errors?: unknown[] };
    const detail = e.errors ? `${e.message}: ${JSON.stringify(e.errors)}` : e.message;
    throw new InvalidEvent(`not a valid CloudEvent: ${detail}`);
  }
  if (Array.isArray(parsed)) throw new InvalidEvent('batched CloudEvents are not accepted; send one event per request');
  // The SDK invents an id when the message has none; dedupe needs the sender's own.
  const structured = String(headers['content-type'] ?? '').startsWith('application/cloudevents+json');
  const sent = structured
    ? (JSON.parse(body) as { id?: unknown; time?: unknown })
    : { id: headers['ce-id'], time: headers['ce-time'] };
  const sentId = sent.id;
  if (typeof sentId !== 'string' || sentId === '') throw new InvalidEvent('not a valid CloudEvent: it has no id');
  if (parsed.specversion !== '1.0')
    throw new InvalidEvent(
      `not a valid CloudEvent: specversion "${String(parsed.specversion).slice(0, 20)}" is not 1.0`,
    );
  checkAttributes(parsed);
  checkTime(sent.time);
  return parsed;
}

/**
 * Checks that a delivery comes from the broker (Knative's sender identity): undefined if it does
 * (or no identity is required), else the answer to give: 401, or 503 while the issuer's keys
 * cannot be had (the broker retries). For every route that takes deliveries (/events, a
 * dead-letter sink).
 */
export async function refuseUnauthenticated(
  senderIdentity: SenderIdentity | undefined,
  request: Request,
  h: ResponseToolkit,
  metrics: Metrics,
): Promise<ResponseObject | undefined> {
  try {
    await senderIdentity?.verify(request.headers.authorization);
    return undefined;
  } catch (err) {
    if (!(err instanceof EventUnauthenticated || err instanceof SenderKeysUnavailable)) throw err;
    metrics.eventsReceived.inc({ type: 'unauthenticated', outcome: 'rejected' });
    request
      .logger()
      .warn(
        { reason: err.message, from: request.info.remoteAddress, path: request.path },
        'event refused: not from the broker',
      );
    const answer = h.response({ error: err.message }).code(err.status);
    return err.status === 401 ? answer.header('www-authenticate', 'Bearer') : answer.header('retry-after', '5');
  }
}

/** Everything /events is built from. */
interface EventsRouteOptions<Ctx, Deps> {
  source: string;
  /** Who may deliver (Knative's sender identity); undefined: anyone who can reach /events. */
  senderIdentity?: SenderIdentity;
  extensions?: Record<string, unknown>;
  handlers: Record<string, EventHandler<Ctx, any, Deps>>;
  schedules: Record<string, ScheduleHandler<Ctx, Deps>>;
  ctx: Ctx;
  /** What the function's setup made, handed to every handler and schedule. */
  deps: Deps;
  log: Logger;
  metrics: Metrics;
  transaction: <T>(fn: (tx: Transaction) => Promise<T>) => Promise<T>;
}

/**
 * `POST /events`: where the broker's Triggers (and PingSources) deliver. Binary and structured
 * modes; an invalid event or unknown type gets 400; a redelivery (same source + id) gets 204
 * without running the handler again (a `work` handler runs again: it is idempotent by itself).
 */
export function eventsRoute<Ctx, Deps>(opts: EventsRouteOptions<Ctx, Deps>): ServerRoute {
  const scheduleData = Joi.object({
    schedule: Joi.string()
      .valid(...Object.keys(opts.schedules))
      .required(),
  }).unknown();

  return {
    method: 'POST',
    path: '/events',
    options: { payload: { parse: false, output: 'data', maxBytes: 256 * 1024 } },
    handler: async (request: Request, h: ResponseToolkit) => {
      // First of all: a delivery that is not the broker's is refused before it is even read.
      const refused = await refuseUnauthenticated(opts.senderIdentity, request, h, opts.metrics);
      if (refused) return refused;
      const read = readEvent(request, h, opts.metrics);
      if ('refusal' in read) return read.refusal;
      const { event } = read;
      // Every line about this event carries its id.
      const log = opts.log.child({ eventId: event.id, eventType: event.type, eventSource: event.source });
      const answer = answers(event, request, h, opts.metrics, log);
      const job = dispatch(event, log, opts, scheduleData);
      if ('refused' in job) return answer.refused(job.refused);
      if ('work' in job) return workOutsideTransaction(job.work, answer);
      return handleOnce(event, job.run, answer, opts);
    },
  };
}

/** The HTTP binding: the one CloudEvent the request carries, or the 400 that says what is wrong with it. */
function readEvent(
  request: Request,
  h: ResponseToolkit,
  metrics: Metrics,
): { event: CloudEventV1<unknown> } | { refusal: ResponseObject } {
  try {
    return {
      event: parseCloudEvent(request.headers, Buffer.isBuffer(request.payload) ? request.payload.toString('utf8') : ''),
    };
  } catch (err) {
    metrics.eventsReceived.inc({ type: 'invalid', outcome: 'rejected' });
    request.logger().warn({ reason: (err as Error).message }, 'event refused');
    return { refusal: h.response({ error: (err as Error).message }).code(400) };
  }
}

/** How /events answers about one event (each counted and logged): refused, failed, handled or a duplicate, or a reply. */
function answers(event: CloudEventV1<unknown>, request: Request, h: ResponseToolkit, metrics: Metrics, log: Logger) {
  return {
    refused(message: string) {
      metrics.eventsReceived.inc({ type: event.type, outcome: 'rejected' });
      log.warn({ reason: message }, 'event refused');
      return h.response({ error: message }).code(400);
    },
    failed(err: unknown) {
      metrics.eventsReceived.inc({ type: event.type, outcome: 'failed' });
      // PostgreSQL or Redis gone: nothing was recorded as handled; the broker redelivers later.
      const service = unavailableService(err);
      if (service) {
        request.app.unavailable = `${service}: ${(err as Error).message}`; // the response's log line is a warning too
        log.warn(
          { unavailable: service, reason: (err as Error).message },
          'event not handled: a backing service is unavailable; the broker will redeliver',
        );
        return h
          .response({ error: unavailableMessage(service) })
          .code(503)
          .header('retry-after', String(UNAVAILABLE_RETRY_AFTER_SECONDS));
      }
      log.error({ err }, 'event handler failed; the broker will redeliver');
      return h.response({ error: 'handler failed' }).code(500);
    },
    done(outcome: 'handled' | 'duplicate', reply?: CloudEvent<unknown>) {
      metrics.eventsReceived.inc({ type: event.type, outcome });
      log.info({ outcome }, 'event received');
      if (!reply) return h.response().code(204).header('x-premiere-outcome', outcome);
      const message = HTTP.binary(reply);
      const response = h.response(message.body as string).code(200);
      for (const [k, v] of Object.entries(message.headers)) response.header(k, String(v));
      return response;
    },
  };
}
type Answers = ReturnType<typeof answers>;

/**
 * What the event asks for: a schedule's job or the handler of its type, with its data validated.
 * `work` runs outside any transaction; `run` inside the one that records the event in the inbox.
 */
function dispatch<Ctx, Deps>(
  event: CloudEventV1<unknown>,
  log: Logger,
  opts: EventsRouteOptions<Ctx, Deps>,
  scheduleData: Joi.Schema,
): { refused: string } | { work: () => Promise<void> } | { run: (tx: Transaction) => Promise<EventToEmit | void> } {
  const { ctx, deps } = opts;
  if (event.type === PING_EVENT_TYPE) {
    const { error, value } = scheduleData.validate(event.data);
    if (error) return { refused: `ping event: ${error.message}` };
    const schedule = opts.schedules[value.schedule];
    if (typeof schedule !== 'function') return { work: () => schedule.work({ ctx, deps, log }) };
    return { run: (tx) => schedule({ tx, ctx, deps, log }) };
  }
  const handler = opts.handlers[event.type];
  if (!handler) return { refused: `no handler for event type "${event.type}"` };
  const { error, value } = handler.data.validate(event.data, { allowUnknown: true });
  if (error) return { refused: `invalid data for ${event.type}: ${error.message}` };
  if ('work' in handler) return { work: () => handler.work({ event, data: value, ctx, deps, log }) };
  return { run: (tx) => handler.handle({ event, data: value, tx, ctx, deps, log }) };
}

/** Work outside any transaction: no inbox dedupe, it is idempotent by itself. */
async function workOutsideTransaction(job: () => Promise<void>, answer: Answers) {
  try {
    await job();
  } catch (err) {
    return answer.failed(err);
  }
  return answer.done('handled');
}

/**
 * The inbox: the event is recorded by source and id in the transaction its handler runs in, so a
 * redelivery is a duplicate and runs nothing. A reply is built inside it too: one that is not a
 * valid event undoes the handling.
 */
async function handleOnce<Ctx, Deps>(
  event: CloudEventV1<unknown>,
  run: (tx: Transaction) => Promise<EventToEmit | void>,
  answer: Answers,
  opts: EventsRouteOptions<Ctx, Deps>,
) {
  let outcome: 'handled' | 'duplicate' = 'handled';
  let reply: CloudEvent<unknown> | undefined;
  try {
    reply = await opts.transaction(async (tx) => {
      const first = await tx.query(
        'INSERT INTO inbox (source, event_id, type) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
        [event.source, event.id, event.type],
      );
      if (first.rowCount === 0) {
        outcome = 'duplicate';
        return undefined;
      }
      const result = await run(tx);
      return result ? buildEvent(result, opts) : undefined;
    });
  } catch (err) {
    return answer.failed(err);
  }
  return answer.done(outcome, reply);
}
