/**
 * Telling an outage from a bug: an error that says PostgreSQL or Redis cannot be reached right now
 * (killed, restarting, failing over, out of connections). A request that meets one is answered
 * 503 with Retry-After, and an event delivery 503 so the broker tries again; nothing of ours is
 * wrong, and it recovers by itself when the service is back (the pool and ioredis reconnect).
 */
export type BackingService = 'PostgreSQL' | 'Redis';

/** Seconds a client is asked to wait: about what a restarted database or a failover takes. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/** SQLSTATEs of a server going, gone or full: class 08 (connection exception), 57P01-57P03 (shutting down, crashed, starting), 53300 (too many connections). */
const PG_GONE = /^(08...|57P0[123]|53300)$/;
/** What pg says when the connection went, or none could be made in time. */
const PG_MESSAGES =
  /^(Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect|Query read timeout)/;
/** What ioredis says when it has no connection (enableOfflineQueue off), and replies of a Redis that cannot serve yet. */
const REDIS_MESSAGES =
  /^(Stream isn't writeable|Connection is closed|Reached the max retries per request limit|LOADING |MASTERDOWN |READONLY |CLUSTERDOWN |TRYAGAIN )/;
/** A connection refused, reset or timed out, from whichever client. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

/** The backing service `err` says is out of reach, if it says so (looking through what it wraps). */
export function unavailableService(err: unknown, depth = 0): BackingService | 'a backing service' | undefined {
  if (!err || typeof err !== 'object' || depth > 3) return undefined;
  const e = err as {
    name?: string;
    message?: string;
    code?: unknown;
    severity?: unknown;
    cause?: unknown;
    data?: unknown;
    errors?: unknown[];
    backingService?: BackingService;
  };
  const message = String(e.message ?? '');
  if (e.name === 'MaxRetriesPerRequestError' || REDIS_MESSAGES.test(message)) return 'Redis';
  if ((typeof e.code === 'string' && e.severity !== undefined && PG_GONE.test(e.code)) || PG_MESSAGES.test(message))
    return 'PostgreSQL';
  // What it wraps: its cause, an AggregateError's errors, and a Boom's data (where hapi keeps a
  // thrown value it did not take for an Error, such as one made in another realm).
  for (const inner of [e.cause, e.data, ...(Array.isArray(e.errors) ? e.errors : [])]) {
    const found = unavailableService(inner, depth + 1);
    if (found) return found;
  }
  // A connection refused or timed out: whose, if the client that tried said (postgres.ts does).
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return e.backingService ?? 'a backing service';
  return undefined;
}

/** What a client is told while `service` is out of reach. */
export function unavailableMessage(service: NonNullable<ReturnType<typeof unavailableService>>): string {
  const what =
    service === 'PostgreSQL'
      ? 'the database (PostgreSQL)'
      : service === 'Redis'
        ? 'Redis'
        : 'a service premiere depends on';
  return `${what} is unavailable for the moment; try again in ${UNAVAILABLE_RETRY_AFTER_SECONDS} seconds`;
}
