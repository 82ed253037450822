import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { CloudEvent, HTTP, type CloudEventV1 } from 'cloudevents';
import { EventIssuer, EventUnauthenticated, parseCloudEvent, SenderIdentity, type Logger } from '@premiere/runtime';
import { parseCron, type Cron } from './cron';
import { durationMs, type Delivery, type Schedule, type Subscription } from './declarations';

/**
 * A Trigger, resolved: deliver events whose attributes equal `filter` to `url`, with a token for
 * `audience` (the subscriber's EVENT_AUTH_AUDIENCE), as Knative's sender identity does.
 */
export type BrokerSubscription = Omit<Subscription, 'function'> & { url: string; audience: string };

/** A PingSource, resolved: send `data` to `url` (token for `audience`) whenever `schedule` matches the minute. */
export type BrokerSchedule = Omit<Schedule, 'function'> & { url: string; audience: string };

export interface DeadLetter {
  subscription: string;
  event: Record<string, unknown>;
  reason: string;
  attempts: number;
  at: string;
  /** Whether the dead-letter sink took it (stored), could not (lost), or there is none (kept here only). */
  sink?: 'stored' | 'lost';
}

/** Where dead letters go, as a Trigger's delivery.deadLetterSink: `url`, with a token for `audience`. */
export interface DeadLetterSink {
  url: string;
  audience: string;
}

/** Knative's dead-letter extensions carry at most this much of the failed answer's body, in base64. */
const ERROR_DATA_MAX = 1_024;

// Knative retries these answers (and no answer at all); any other non-2xx goes to dead letters.
const RETRYABLE = (status: number) => status >= 500 || [404, 408, 409, 429].includes(status);
const MAX_DEAD_LETTERS = 1_000;
/** Tokens last an hour and are renewed five minutes before they run out, as Knative's are. */
const TOKEN_TTL_SECONDS = 3_600;
const TOKEN_RENEW_SECONDS = 300;

/**
 * The local stand-in for a Knative Broker with its Triggers and PingSources: an ingress taking
 * CloudEvents (binary or structured), fan-out to matching subscribers in binary mode, retries
 * with backoff, dead letters (sent to the dead-letter sink as Knative does, logged, and the last
 * ones kept: GET /dead-letters), reply events re-published, and
 * schedules fired each matching minute (or now, by POST /schedules/<name>). Like Knative's
 * in-memory channel, it keeps events in memory only.
 *
 * Sender identity as Knative's `authentication-oidc`: the broker is an issuer (its keys at
 * /openid/v1/jwks, discovery at /.well-known/openid-configuration), every delivery carries a token
 * for its subscriber's audience, and with `ingressAudience` set its ingress takes only events
 * that carry one of its tokens for that audience (what the stack gives the functions to send with).
 */
export class LocalBroker {
  readonly deadLetters: DeadLetter[] = [];
  readonly stats = { received: 0, delivered: 0, retries: 0, deadLettered: 0, replies: 0 };
  private readonly server: http.Server;
  private readonly crons: { schedule: BrokerSchedule; matches: Cron }[];
  private readonly pending = new Set<Promise<void>>();
  private readonly agent = new http.Agent({ keepAlive: true });
  private minuteTimer?: NodeJS.Timeout;
  private closed = false;
  private issuer?: EventIssuer;
  private ingress?: SenderIdentity;
  private readonly tokens = new Map<string, { token: string; renewAt: number }>();

  constructor(
    private readonly opts: {
      subscriptions: BrokerSubscription[];
      schedules: BrokerSchedule[];
      delivery: Delivery;
      log: Logger;
      /** Per-attempt timeout of a delivery. */
      timeoutMs?: number;
      /** Who signs deliveries; by default a key of the broker's own, issuer = its URL. */
      issuer?: EventIssuer;
      /** Take only events carrying this broker's token for this audience (off: take any). */
      ingressAudience?: string;
      /**
       * Where a Trigger's dead letters are sent (admit-batch's POST /dead-letters), with Knative's
       * knativeerrordest / knativeerrorcode / knativeerrordata extensions, and retried as any
       * delivery; without one (or when it fails too) they are only logged and kept in memory.
       */
      deadLetterSink?: DeadLetterSink;
    },
  ) {
    this.crons = opts.schedules.map((schedule) => ({ schedule, matches: parseCron(schedule.schedule) }));
    this.server = http.createServer((req, res) => void this.route(req, res));
  }

  async listen(port: number, host = '127.0.0.1'): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(port, host, resolve));
    this.scheduleNextMinute();
    const address = this.server.address() as { port: number };
    const url = `http://${host}:${address.port}`;
    const issuer = (this.issuer = this.opts.issuer ?? new EventIssuer(url));
    if (this.opts.ingressAudience) {
      this.ingress = new SenderIdentity({
        audience: this.opts.ingressAudience,
        issuer: issuer.url,
        jwks: issuer.jwks(),
        jwksUrl: `${url}/openid/v1/jwks`,
        log: this.opts.log,
      });
    }
    return url;
  }

  /** The issuer's URL (EVENT_AUTH_ISSUER for the functions); after listen. */
  get issuerUrl(): string {
    return this.issuer!.url;
  }

  /** A token of this broker's for `audience` (cached until shortly before it runs out). */
  tokenFor(audience: string, subject: string): string {
    const key = `${audience} ${subject}`;
    const now = Date.now() / 1000;
    const kept = this.tokens.get(key);
    if (kept && kept.renewAt > now) return kept.token;
    const token = this.issuer!.token(audience, subject, { ttlSeconds: TOKEN_TTL_SECONDS });
    this.tokens.set(key, { token, renewAt: now + TOKEN_TTL_SECONDS - TOKEN_RENEW_SECONDS });
    return token;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.minuteTimer);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    this.agent.destroy();
  }

  /** Accepts one event into the broker and starts delivering it. */
  publish(event: CloudEventV1<unknown>): void {
    this.stats.received++;
    for (const sub of this.opts.subscriptions) {
      if (
        Object.entries(sub.filter).every(
          ([attr, value]) => (event as unknown as Record<string, unknown>)[attr] === value,
        )
      ) {
        this.track(
          this.deliver(
            event,
            sub.name,
            sub.url,
            sub.audience,
            `system:serviceaccount:local:${sub.name}-oidc-eventing.knative.dev-trigger`,
          ),
        );
      }
    }
  }

  /** Sends a schedule's ping now, as its PingSource would at a matching minute. */
  fire(name: string): boolean {
    const schedule = this.opts.schedules.find((s) => s.name === name);
    if (!schedule) return false;
    const ping = new CloudEvent({
      id: randomUUID(),
      type: 'dev.knative.sources.ping',
      source: `/apis/v1/namespaces/local/pingsources/${schedule.name}`,
      datacontenttype: 'application/json',
      data: schedule.data,
    });
    this.track(
      this.deliver(
        ping,
        `schedule/${schedule.name}`,
        schedule.url,
        schedule.audience,
        `system:serviceaccount:local:${schedule.name}-oidc-sources.knative.dev-pingsource`,
      ),
    );
    return true;
  }

  /** Resolves once no delivery is in progress (tests). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private track(p: Promise<void>) {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private backoff(attempt: number): number {
    const base = durationMs(this.opts.delivery.backoffDelay);
    return this.opts.delivery.backoffPolicy === 'exponential' ? base * 2 ** attempt : base * (attempt + 1);
  }

  private async deliver(
    event: CloudEventV1<unknown>,
    name: string,
    url: string,
    audience: string,
    subject: string,
  ): Promise<void> {
    const failure = await this.attempt(event, name, url, audience, subject);
    if (!failure) return;
    this.stats.deadLettered++;
    const letter: DeadLetter = {
      subscription: name,
      event: JSON.parse(JSON.stringify(event)),
      reason: failure.reason,
      attempts: failure.attempts,
      at: new Date().toISOString(),
    };
    this.deadLetters.push(letter);
    if (this.deadLetters.length > MAX_DEAD_LETTERS) this.deadLetters.shift();
    this.opts.log.error(
      { subscription: name, eventId: event.id, eventType: event.type, reason: failure.reason },
      'event dead-lettered',
    );
    // A Trigger's dead letters go to the sink, as its delivery.deadLetterSink; a PingSource has none
    // on a cluster either (its next tick is the retry).
    const sink = this.opts.deadLetterSink;
    if (!sink || name.startsWith('schedule/')) return;
    const extensions: Record<string, unknown> = { knativeerrordest: url };
    if (failure.status) extensions.knativeerrorcode = failure.status;
    if (failure.body)
      extensions.knativeerrordata = Buffer.from(failure.body).toString('base64').slice(0, ERROR_DATA_MAX);
    const dead = new CloudEvent({ ...(event as object), ...extensions } as CloudEventV1<unknown>, false);
    const unstored = await this.attempt(dead, `dead-letters/${name}`, sink.url, sink.audience, subject);
    letter.sink = unstored ? 'lost' : 'stored';
    if (unstored)
      this.opts.log.error(
        { subscription: name, eventId: event.id, eventType: event.type, reason: unstored.reason },
        'dead letter not stored: the dead-letter sink failed too; the event is lost',
      );
  }

  /** Delivers with retries; undefined when delivered, else the last failure. */
  private async attempt(
    event: CloudEventV1<unknown>,
    name: string,
    url: string,
    audience: string,
    subject: string,
  ): Promise<{ reason: string; status?: number; body?: string; attempts: number } | undefined> {
    const { retry } = this.opts.delivery;
    const message = HTTP.binary(event);
    let failure: { reason: string; status?: number; body?: string } = { reason: '' };
    for (let attempt = 0; attempt <= retry; attempt++) {
      if (attempt > 0) {
        this.stats.retries++;
        await new Promise((r) => setTimeout(r, this.backoff(attempt - 1)));
        if (this.closed) return undefined;
      }
      try {
        const headers = {
          ...(message.headers as Record<string, string>),
          authorization: `Bearer ${this.tokenFor(audience, subject)}`,
        };
        const res = await this.post(url, headers, String(message.body ?? ''));
        if (res.status >= 200 && res.status < 300) {
          this.stats.delivered++;
          this.republishReply(res, name);
          return undefined;
        }
        failure = { reason: `subscriber answered ${res.status}`, status: res.status, body: res.body };
        if (!RETRYABLE(res.status)) return { ...failure, attempts: attempt + 1 };
      } catch (err) {
        failure = { reason: `subscriber unreachable: ${(err as Error).message}` };
      }
    }
    return { ...failure, attempts: retry + 1 };
  }

  private republishReply(res: { headers: Record<string, string>; body: string }, name: string) {
    const isEvent =
      res.headers['ce-id'] !== undefined || (res.headers['content-type'] ?? '').startsWith('application/cloudevents');
    if (!isEvent) return;
    try {
      const reply = parseCloudEvent(res.headers, res.body);
      this.stats.replies++;
      this.publish(reply);
    } catch (err) {
      this.opts.log.warn({ subscription: name, reason: (err as Error).message }, 'invalid reply event dropped');
    }
  }

  private post(url: string, headers: Record<string, string>, body: string) {
    return new Promise<{ status: number; headers: Record<string, string>; body: string }>((resolve, reject) => {
      const req = http.request(
        url,
        {
          method: 'POST',
          headers: { ...headers, 'content-length': Buffer.byteLength(body) },
          agent: this.agent,
          timeout: this.opts.timeoutMs ?? 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers as Record<string, string>,
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', reject);
      req.end(body);
    });
  }

  private scheduleNextMinute() {
    const now = Date.now();
    this.minuteTimer = setTimeout(
      () => {
        const at = new Date();
        for (const { schedule, matches } of this.crons) if (matches(at)) this.fire(schedule.name);
        if (!this.closed) this.scheduleNextMinute();
      },
      60_000 - (now % 60_000) + 50,
    ).unref();
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse) {
    const send = (status: number, body?: unknown) => {
      res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    const url = new URL(req.url ?? '/', 'http://broker');
    if (req.method === 'GET' && url.pathname === '/healthz') return send(200, { status: 'ok' });
    if (req.method === 'GET' && url.pathname === '/dead-letters') return send(200, this.deadLetters);
    if (req.method === 'GET' && url.pathname === '/stats') return send(200, this.stats);
    if (req.method === 'GET' && url.pathname === '/.well-known/openid-configuration')
      return send(200, this.issuer!.discovery());
    if (req.method === 'GET' && url.pathname === '/openid/v1/jwks') return send(200, this.issuer!.jwks());
    const fire = /^\/schedules\/([a-z0-9-]+)$/.exec(url.pathname);
    if (req.method === 'POST' && fire)
      return this.fire(fire[1]) ? send(202) : send(404, { error: `no schedule named ${fire[1]}` });
    if (req.method !== 'POST') return send(405, { error: 'POST CloudEvents to the broker' });
    try {
      await this.ingress?.verify(req.headers.authorization);
    } catch (err) {
      req.resume();
      if (err instanceof EventUnauthenticated) return send(401, { error: err.message });
      throw err;
    }

    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > 256 * 1024) return send(413, { error: 'event larger than 256 KiB' });
      chunks.push(chunk as Buffer);
    }
    let event: CloudEventV1<unknown>;
    try {
      event = parseCloudEvent(req.headers, Buffer.concat(chunks).toString('utf8'));
    } catch (err) {
      return send(400, { error: (err as Error).message });
    }
    this.publish(event);
    send(202);
  }
}
