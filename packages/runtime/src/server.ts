import { randomUUID } from 'node:crypto';
import Hapi, { type Request, type ServerRoute } from '@hapi/hapi';
import Joi from 'joi';
import type { DestinationStream } from 'pino';
import type pg from 'pg';
import { ConfigError, loadConfig, runtimeEnv, type ConfigOf, type EnvSpec, type RuntimeConfig } from './config';
import { buildEvent, Outbox, sendEvent, type EventToEmit, type OutboxRow } from './cloudevents/outbox';
import { eventsRoute, type EventHandler, type ScheduleHandler, type Transaction } from './cloudevents/receive';
import { SenderIdentity, SinkToken } from './cloudevents/sender-identity';
import type { JSONWebKeySet } from 'jose';
import { createLogger, type Logger } from './logger';
import { createMetrics, type Metrics } from './metrics';
import { createPool, inTransaction, schemaOf } from './postgres';
import { createRedis, defineScripts, type Redis } from './redis';
import { healthRoutes } from './health';
import { html, i18n, localeOf, page } from '@premiere/web';
import { UNAVAILABLE_RETRY_AFTER_SECONDS, unavailableMessage, unavailableService } from './unavailable';

declare module '@hapi/hapi' {
  interface RequestApplicationState {
    startedAt: bigint;
  }
  interface RequestApplicationState {
    logger?: Logger;
    /** The backing service whose absence this request was answered 503 for, and what was said. */
    unavailable?: string;
  }
  interface Request {
    /** The function's logger, every line tagged with this request's id (made on first use). */
    logger(): Logger;
  }
}

/** What a function's routes, event handlers and schedules are given. */
export interface FunctionContext<S extends EnvSpec = EnvSpec> {
  name: string;
  config: RuntimeConfig & ConfigOf<S>;
  log: Logger;
  db: pg.Pool;
  redis: Redis;
  metrics: Metrics;
  /**
   * Who may deliver events (Knative's sender identity, as /events checks it); undefined when
   * EVENT_AUTH is none. For a function that takes deliveries elsewhere too (a dead-letter sink).
   */
  senderIdentity?: SenderIdentity;
  /** Runs `fn` in one PostgreSQL transaction; events it emits are published after commit. */
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  /**
   * Sends an event to the broker at once, not through the outbox, and does not wait: for nudges
   * that change nothing themselves and whose loss a schedule makes good. Failures are logged.
   */
  nudge(event: EventToEmit): void;
}

/**
 * A function: its name and variables, what it is built of (`setup`) and what it answers. `D` is
 * what `setup` returns: made once per process, before any route is registered, and handed to the
 * routes, event handlers and schedules (`deps`), so that none of them builds or looks up its own.
 */
export interface FunctionDefinition<S extends EnvSpec = EnvSpec, D = undefined> {
  /** The function's name: issue-token, admit-batch, reserve-seat, process-payment, render-catalog. */
  name: string;
  /** The function's own environment variables, beyond the runtime's. */
  env?: S;
  /**
   * The composition root: builds the function's own parts (clients, caches, their metrics) from
   * the runtime's. If what it returns has a `close()`, stop calls it once requests and events are
   * over, before the PostgreSQL and Redis pools close.
   */
  setup?(ctx: FunctionContext<S>): D;
  routes?(ctx: FunctionContext<S>, deps: D): ServerRoute[];
  /** CloudEvent handlers by event type. */
  events?: Record<string, EventHandler<FunctionContext<S>, any, D>>;
  /** Scheduled jobs by schedule name (see helm/premiere/eventing.yaml). */
  schedules?: Record<string, ScheduleHandler<FunctionContext<S>, D>>;
  /** Folders of `.lua` files to load as Redis commands. */
  redisScripts?: string | string[];
  /** Checks one variable against another at start-up; throws a ConfigError naming what is wrong. */
  checkConfig?(config: RuntimeConfig & ConfigOf<S>): void;
}

export interface RunningFunction<S extends EnvSpec = EnvSpec, D = unknown> {
  server: Hapi.Server;
  ctx: FunctionContext<S>;
  /** What the definition's `setup` made (undefined without one). */
  deps: D;
  outbox: Outbox;
  start(): Promise<void>;
  /** Graceful stop: fail readiness and drain (SHUTDOWN_DRAIN_MS), then refuse new work, finish in-flight requests (bounded), close pools. */
  stop(): Promise<void>;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const QUIET_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);
/** Every answer may be framed by our own pages only (CSP for today's browsers, X-Frame-Options for older ones). */
const FRAMING = { 'content-security-policy': "frame-ancestors 'self'", 'x-frame-options': 'SAMEORIGIN' };
/** A drain is over once no request has come for this long (at most SHUTDOWN_DRAIN_MS). */
const DRAIN_QUIET_MS = 500;

function statusOf(request: Request): number {
  const res = request.response as { isBoom?: boolean; output?: { statusCode: number }; statusCode?: number } | null;
  if (!res) return 499; // the client went away before we answered
  return res.isBoom ? res.output!.statusCode : (res.statusCode ?? 200);
}

const VALIDATED = ['params', 'query', 'payload', 'headers', 'state'] as const;

/**
 * hapi runs a route's Joi schemas through validateAsync with a per-request context; called
 * directly, the same schemas cost a fraction of that on every request (see `npm run bench --
 * runtime`). Errors still reach hapi, which answers 400 with Joi's message.
 */
function withDirectValidation(route: ServerRoute): ServerRoute {
  const validate = (route.options as { validate?: Record<string, unknown> } | undefined)?.validate;
  if (!validate) return route;
  const direct: Record<string, unknown> = { ...validate };
  for (const source of VALIDATED) {
    const schema = validate[source];
    if (Joi.isSchema(schema)) {
      const options = validate.options as Joi.ValidationOptions | undefined;
      direct[source] = (value: unknown) => {
        const { error, value: valid } = (schema as Joi.Schema).validate(value, options);
        if (error) throw error;
        return valid;
      };
    }
  }
  return { ...route, options: { ...(route.options as object), validate: direct } } as ServerRoute;
}

/** Builds a function's server from its definition and environment (throws ConfigError). */
export function createFunction<S extends EnvSpec, D = undefined>(
  def: FunctionDefinition<S, D>,
  env: NodeJS.ProcessEnv = process.env,
  logDestination?: DestinationStream,
): RunningFunction<S, D> {
  const config = readConfig(def, env);
  const log = createLogger({ name: def.name, level: config.LOG_LEVEL }, logDestination);
  const metrics = createMetrics();
  const { db, redis } = connectBackingServices(def.name, config, log);
  let deps: D | undefined;
  try {
    loadScripts(redis, def.redisScripts);
    const events = eventPlumbing(def.name, config, db, log, metrics);
    const { senderIdentity, transaction, nudge } = events;
    const ctx: FunctionContext<S> = {
      name: def.name,
      config,
      log,
      db,
      redis,
      metrics,
      senderIdentity,
      transaction,
      nudge,
    };
    deps = def.setup ? def.setup(ctx) : (undefined as D);
    const state: ServingState = { stopping: false, lastRequestAt: 0 };
    const server = createServer(config, log, state);
    answerOutagesWith503(server);
    answerUnknownPagesWithAPage(server);
    forbidFramingByOtherSites(server);
    closeConnectionsWhileDraining(server, state);
    logAndTimeResponses(server, log, metrics);
    registerRoutes(server, def, ctx, deps as D, events, state);
    return lifecycle(def.name, { server, ctx, deps: deps as D, outbox: events.outbox, state });
  } catch (err) {
    // Nothing was started: what setup made and the connections go, so that the caller (a test,
    // runFunction) is not kept alive by them.
    if (deps !== undefined) void closeDeps(deps, log);
    redis.disconnect();
    db.end().catch(() => undefined);
    throw err;
  }
}

/** The runtime's variables and the function's, checked against each other. */
function readConfig<S extends EnvSpec, D>(
  def: FunctionDefinition<S, D>,
  env: NodeJS.ProcessEnv,
): RuntimeConfig & ConfigOf<S> {
  const config = { ...loadConfig(runtimeEnv, env), ...loadConfig(def.env ?? ({} as S), env) } as RuntimeConfig &
    ConfigOf<S>;
  def.checkConfig?.(config);
  return config;
}

/** The PostgreSQL pool (the function's own schema) and the Redis client; both connect when first asked. */
function connectBackingServices(name: string, config: RuntimeConfig, log: Logger): { db: pg.Pool; redis: Redis } {
  const db = createPool({
    url: config.DATABASE_URL,
    schema: schemaOf(name),
    max: config.PG_POOL_MAX,
    onConnectionLost: (err) =>
      log.warn({ reason: err.message }, 'a PostgreSQL connection in use was lost; the pool connects again when asked'),
  });
  const redis = createRedis({
    url: config.REDIS_URL,
    keyPrefix: config.REDIS_KEY_PREFIX,
    sentinels: config.REDIS_SENTINELS,
    sentinelMaster: config.REDIS_SENTINEL_MASTER,
    sentinelPassword: config.REDIS_SENTINEL_PASSWORD,
  });
  return { db, redis };
}

/** Defines each folder's `.lua` files as Redis commands. */
function loadScripts(redis: Redis, folders: string | string[] | undefined): void {
  for (const dir of [folders ?? []].flat()) defineScripts(redis, dir);
}

/** What sends and receives events: the outbox, the sender identity /events checks, transactions that emit, nudges. */
interface EventPlumbing {
  source: string;
  extensions?: Record<string, unknown>;
  outbox: Outbox;
  senderIdentity?: SenderIdentity;
  transaction: FunctionContext['transaction'];
  nudge: FunctionContext['nudge'];
}

function eventPlumbing(name: string, config: RuntimeConfig, db: pg.Pool, log: Logger, metrics: Metrics): EventPlumbing {
  const source = `/premiere/${name}`;
  // Parsed from JSON by its schema (config.ts), hence the cast.
  const extensions = (config.K_CE_OVERRIDES as unknown as { extensions: Record<string, unknown> } | undefined)
    ?.extensions;
  const sinkToken = new SinkToken(config.EVENT_SINK_TOKEN_FILE);
  const authorization = () => sinkToken.authorization();
  const outbox = new Outbox(db, {
    source,
    sink: config.K_SINK,
    extensions,
    authorization,
    log,
    metrics,
    retentionHours: config.EVENT_RETENTION_HOURS,
  });
  const senderIdentity =
    config.EVENT_AUTH === 'oidc'
      ? new SenderIdentity({
          audience: config.EVENT_AUTH_AUDIENCE ?? `premiere/${name}`,
          issuer: config.EVENT_AUTH_ISSUER,
          subjectPrefix: config.EVENT_AUTH_SUBJECT_PREFIX,
          // Parsed from JSON by its schema (config.ts), hence the cast.
          jwks: config.EVENT_AUTH_JWKS as unknown as JSONWebKeySet | undefined,
          jwksUrl: config.EVENT_AUTH_JWKS_URL,
          log,
        })
      : undefined;

  const transaction = async <T>(fn: (tx: Transaction) => Promise<T>): Promise<T> => {
    const emitted: OutboxRow[] = [];
    const result = await inTransaction(db, (client) =>
      fn({
        query: client.query.bind(client) as Transaction['query'],
        emit: async (event: EventToEmit) => {
          emitted.push(await outbox.add(client, event));
        },
        republish: async (event: Record<string, unknown>) => {
          emitted.push(await outbox.addVerbatim(client, event));
        },
      }),
    );
    outbox.publishSoon(emitted);
    return result;
  };

  const nudge = (event: EventToEmit): void => {
    const sink = config.K_SINK;
    if (!sink) {
      log.debug(
        { type: event.type, subject: event.subject },
        'nudge not sent: no K_SINK yet (the schedule will catch up)',
      );
      return;
    }
    sendEvent(sink, buildEvent(event, { source, extensions }), 2_000, authorization()).catch((err: Error) =>
      log.warn(
        { type: event.type, subject: event.subject, err: err.message },
        'nudge not delivered (the schedule will catch up)',
      ),
    );
  };

  return { source, extensions, outbox, senderIdentity, transaction, nudge };
}

/** Whether the function is draining, and when the last request (not a probe) came. */
interface ServingState {
  stopping: boolean;
  lastRequestAt: number;
}

/** The hapi server with the runtime's defaults, its request logger, and the drain's clock. */
function createServer(config: RuntimeConfig, log: Logger, state: ServingState): Hapi.Server {
  const server = Hapi.server({
    port: config.PORT,
    host: config.HOST,
    // The edge compresses (once per cached page, not once per request here).
    compression: false,
    routes: {
      // Say what is wrong with the input, not just "invalid request".
      validate: {
        failAction: async (_request, _h, err) => {
          throw err;
        },
      },
      // A mangled Cookie header is no reason to refuse a visitor: it is ignored.
      state: { parse: true, failAction: 'ignore' },
    },
  });
  server.validator(Joi);

  // The request's id: the edge's x-request-id (it also echoes it to the client), else a new one;
  // made only when a line is logged, so a request that logs nothing costs nothing here.
  server.decorate('request', 'logger', function (this: Request) {
    if (!this.app.logger) {
      const given = this.headers['x-request-id'];
      this.app.logger = log.child({
        reqId: typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID(),
      });
    }
    return this.app.logger;
  });
  server.ext('onRequest', (request, h) => {
    request.app.startedAt = process.hrtime.bigint();
    // Probes and scrapes are not traffic: they do not keep a drain going.
    if (!QUIET_ROUTES.has(request.path)) state.lastRequestAt = Date.now();
    return h.continue;
  });
  return server;
}

/**
 * PostgreSQL or Redis out of reach is an outage, not a bug: 503 and when to come back, whatever
 * the route (its error would be a 500). Readiness fails meanwhile (health.ts).
 */
function answerOutagesWith503(server: Hapi.Server): void {
  server.ext('onPreResponse', (request, h) => {
    const res = request.response as { isBoom?: boolean; output?: { statusCode: number } } | null;
    if (!res?.isBoom || res.output!.statusCode !== 500) return h.continue;
    const service = unavailableService(res);
    if (!service) return h.continue;
    request.app.unavailable = `${service}: ${(res as { message?: string }).message}`;
    const message = unavailableMessage(service);
    // A browser gets a page that tries again by itself; an API client the JSON its pages read.
    const browser = String(request.headers.accept ?? '').includes('text/html');
    const i = i18n(localeOf(request));
    const title = i.t('layout.unavailableTitle');
    // The language switch comes back here only from a page (a GET); a form's answer sends it home.
    const language = { i18n: i, path: request.method === 'get' ? request.path : '/' };
    const answer = browser
      ? h
          .response(
            page(
              title,
              html`<h1>${title}</h1><div class="card"><p>${i.t('layout.unavailable')}</p></div>`,
              html`<meta http-equiv="refresh" content="${UNAVAILABLE_RETRY_AFTER_SECONDS}">`,
              language,
            ),
          )
          .type('text/html; charset=utf-8')
      : h.response({
          statusCode: 503,
          error: 'Service Unavailable',
          message,
          retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS,
        });
    return answer
      .code(503)
      .header('retry-after', String(UNAVAILABLE_RETRY_AFTER_SECONDS))
      .header('cache-control', 'no-store');
  });
}

/**
 * A page's address with a bad or unknown part (a mistyped link, an old one): a browser gets a page
 * in its language, not the JSON an app reads. The APIs (/api/, /admin) keep their answers.
 */
function answerUnknownPagesWithAPage(server: Hapi.Server): void {
  server.ext('onPreResponse', (request, h) => {
    const res = request.response as { isBoom?: boolean; output?: { statusCode: number } } | null;
    const status = res?.isBoom ? res.output!.statusCode : 0;
    if (
      (status !== 400 && status !== 404) ||
      request.method !== 'get' ||
      !String(request.headers.accept ?? '').includes('text/html')
    )
      return h.continue;
    if (request.path.includes('/api/') || request.path.startsWith('/admin') || request.path.startsWith('/_'))
      return h.continue;
    const i = i18n(localeOf(request));
    const title = i.t('catalog.notFound');
    const body = html`<h1>${title}</h1><div class="card"><p>${i.t('layout.notFound')}</p><p><a href="/">${i.t('catalog.seeWhatsOn')}</a></p></div>`;
    return h
      .response(page(title, body, undefined, { i18n: i, path: '/' }))
      .type('text/html; charset=utf-8')
      .code(404)
      .header('cache-control', 'no-store');
  });
}

/**
 * No other site may frame a page of ours: a hidden frame of the waiting room would join the line
 * for each of that site's visitors (its script joins on load, and inside the frame its requests
 * are our own site's, past the cross-site check), and a framed order page's buttons could be
 * clicked by a trick. A route may say stricter (the operators' page: 'none').
 */
function forbidFramingByOtherSites(server: Hapi.Server): void {
  server.ext('onPreResponse', (request, h) => {
    const res = request.response as {
      isBoom?: boolean;
      output?: { headers: Record<string, string> };
      headers?: Record<string, unknown>;
      header?: (k: string, v: string) => unknown;
    } | null;
    const headers = res?.isBoom ? res.output!.headers : res?.headers;
    if (!headers) return h.continue;
    // A route's own policy is kept, with ours added if it says nothing of framing; a route's own
    // X-Frame-Options (the operators' page: DENY) is kept too.
    const csp = headers['content-security-policy'];
    const framing: Record<string, string> = {};
    if (csp === undefined) framing['content-security-policy'] = FRAMING['content-security-policy'];
    else if (!/frame-ancestors/i.test(String(csp)))
      framing['content-security-policy'] = `${String(csp)}; ${FRAMING['content-security-policy']}`;
    if (headers['x-frame-options'] === undefined) framing['x-frame-options'] = FRAMING['x-frame-options'];
    if (res?.isBoom) Object.assign(headers, framing);
    else for (const [k, v] of Object.entries(framing)) res?.header?.(k, v);
    return h.continue;
  });
}

/**
 * Draining: no connection is kept alive past an answer, so none is open (and idle) to be
 * closed under a request the client is just sending when the listener closes.
 */
function closeConnectionsWhileDraining(server: Hapi.Server, state: ServingState): void {
  server.ext('onPreResponse', (request, h) => {
    if (!state.stopping) return h.continue;
    const res = request.response as {
      isBoom?: boolean;
      output?: { headers: Record<string, string> };
      header?: (k: string, v: string) => unknown;
    } | null;
    if (res?.isBoom) res.output!.headers.connection = 'close';
    else res?.header?.('connection', 'close');
    return h.continue;
  });
}

/** Every answer's duration in the metrics, and its log line at the level its status deserves. */
function logAndTimeResponses(server: Hapi.Server, log: Logger, metrics: Metrics): void {
  // Label sets resolved once per route and status, not hashed again on every request.
  const durationByRoute = new Map<string, { observe(v: number): void }>();
  server.events.on('response', (request) => {
    const status = statusOf(request);
    const seconds = Number(process.hrtime.bigint() - request.app.startedAt) / 1e9;
    const route = (request.route.method as string) === '_special' ? '(unmatched)' : request.route.path;
    const method = request.method.toUpperCase();
    const key = `${method} ${route} ${status}`;
    let timer = durationByRoute.get(key);
    if (!timer) durationByRoute.set(key, (timer = metrics.httpDuration.labels(method, route, String(status))));
    timer.observe(seconds);
    // One line per request at debug (the edge keeps the access log; status polls are many); a
    // refused request at info, a failed one at error. Nothing is built for a line not written.
    const quiet = QUIET_ROUTES.has(route);
    // A request met an outage, not a bug: a warning naming it, without a stack trace each.
    // A 503 is "try again" (an outage, a room recovering), said on purpose: not a bug's error line.
    const level =
      request.app.unavailable || (status === 503 && !quiet)
        ? 'warn'
        : status >= 500 && !quiet
          ? 'error'
          : status >= 400 && !quiet
            ? 'info'
            : 'debug';
    if (!log.isLevelEnabled(level)) return;
    const line = { method, path: request.path, route, status, ms: Math.round(seconds * 1e4) / 10 };
    if (level === 'error') {
      const err = (request.response as { isBoom?: boolean } | null)?.isBoom ? request.response : undefined;
      request.logger().error({ ...line, err }, 'request failed');
    } else if (level === 'warn') {
      const why = request.app.unavailable ? 'a backing service is unavailable' : 'try again later';
      request.logger().warn({ ...line, unavailable: request.app.unavailable }, `request answered 503: ${why}`);
    } else request.logger()[level](line, level === 'info' ? 'request refused' : 'request');
  });
}

/** The health routes, /events (with the outbox's relay as a schedule), then the function's own routes. */
function registerRoutes<S extends EnvSpec, D>(
  server: Hapi.Server,
  def: FunctionDefinition<S, D>,
  ctx: FunctionContext<S>,
  deps: D,
  events: EventPlumbing,
  state: ServingState,
): void {
  const { db, redis, log, metrics } = ctx;
  const routes: ServerRoute[] = [
    ...healthRoutes({ db, redis, metrics, isStopping: () => state.stopping }),
    eventsRoute({
      source: events.source,
      senderIdentity: events.senderIdentity,
      extensions: events.extensions,
      handlers: def.events ?? {},
      schedules: {
        // Publishes to the broker: no transaction is held open meanwhile.
        'outbox-relay': {
          work: async () => {
            await events.outbox.relay();
          },
        },
        ...(def.schedules ?? {}),
      },
      ctx,
      deps,
      log,
      metrics,
      transaction: events.transaction,
    }),
  ];
  routes.push(...(def.routes?.(ctx, deps) ?? []).map(withDirectValidation));
  server.route(routes);
}

/** start() and stop(): the server, the outbox's relay, and what closes when the function stops. */
function lifecycle<S extends EnvSpec, D>(
  name: string,
  parts: { server: Hapi.Server; ctx: FunctionContext<S>; deps: D; outbox: Outbox; state: ServingState },
): RunningFunction<S, D> {
  const { server, ctx, deps, outbox, state } = parts;
  const { config, log, redis, db } = ctx;
  let stopped: Promise<void> | undefined;
  return {
    server,
    ctx,
    deps,
    outbox,
    async start() {
      // Give Redis a moment to connect so the first readiness probe can pass; not fatal if it can't.
      if (redis.status !== 'ready') {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 2_000).unref();
          redis.once('ready', () => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      await server.start();
      outbox.startRelay(config.OUTBOX_RELAY_INTERVAL_MS);
      log.info({ port: server.info.port }, `${name} listening`);
      // A function's first revision on a cluster: Helm creates the Knative Services before the
      // Broker has an address, so the SinkBinding has not injected K_SINK yet (it will, making a
      // new revision). Crash-looping until then would only delay it; serving and keeping what we
      // emit in PostgreSQL loses nothing: the next revision's relay publishes it.
      if (!config.K_SINK)
        log.warn(
          'no K_SINK yet (the SinkBinding injects it once the broker has an address): events wait in the outbox, nudges are dropped',
        );
    },
    stop() {
      stopped ??= (async () => {
        // As Knative's queue-proxy drains: readiness fails first, so the data plane stops sending;
        // whatever still comes meanwhile (requests already sent, queued on keep-alive connections)
        // is served, each answer closing its connection. Only then are connections refused.
        // The drain ends early once nothing has come for DRAIN_QUIET_MS (as queue-proxy's drainer
        // waits for a quiet period): on a cluster the queue-proxy has drained before the function
        // is sent SIGTERM, and a stack that stops everything need not wait on every function.
        state.stopping = true;
        log.info({ drainMs: config.SHUTDOWN_DRAIN_MS }, 'draining: readiness fails, requests still served');
        const signalled = Date.now();
        const until = signalled + config.SHUTDOWN_DRAIN_MS;
        while (Date.now() < until && Date.now() - Math.max(signalled, state.lastRequestAt) < DRAIN_QUIET_MS) {
          await new Promise((r) => setTimeout(r, Math.min(50, until - Date.now())));
        }
        log.info('shutting down: finishing in-flight requests');
        await server.stop({ timeout: config.SHUTDOWN_TIMEOUT_MS });
        await outbox.stop(Math.min(config.SHUTDOWN_TIMEOUT_MS, 5_000));
        await closeDeps(deps, log);
        await Promise.allSettled([
          redis.status === 'ready' ? redis.quit() : Promise.resolve(redis.disconnect()),
          db.end(),
        ]);
        log.info('stopped');
        log.flush();
      })();
      return stopped;
    },
  };
}

/** What setup made, closed if it can be (before the pools it may still use on the way out). */
async function closeDeps(deps: unknown, log: Logger): Promise<void> {
  const close = (deps as { close?: unknown } | undefined)?.close;
  if (typeof close !== 'function') return;
  try {
    await close.call(deps);
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'closing the function’s own parts failed');
  }
}

/**
 * A function's main: builds it from process.env, starts it, and stops it gracefully on SIGTERM or
 * SIGINT (exit 0). A configuration error stops the process with one line naming the variable.
 */
export async function runFunction<S extends EnvSpec, D>(def: FunctionDefinition<S, D>): Promise<void> {
  let fn: RunningFunction<S, D>;
  try {
    fn = createFunction(def);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${def.name}: configuration error: ${err.message}\n`);
    process.exit(1);
  }
  const shutdown = (signal: string) => {
    fn.ctx.log.info({ signal }, 'signal received');
    fn.stop().then(
      () => process.exit(0),
      (err) => {
        fn.ctx.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  try {
    await fn.start();
  } catch (err) {
    process.stderr.write(`${def.name}: could not start: ${(err as Error).message}\n`);
    process.exit(1);
  }
}
