import { randomUUID } from 'node:crypto';
import http from 'node:http';
import pg from 'pg';
import pino from 'pino';
import { Agent, request } from 'undici';
import { attemptOf, paymentApproved, sessionHash, TokenSigner } from '@premiere/contracts';
import { createFunction, type RunningFunction } from '@premiere/runtime';
import {
  createTestDatabase,
  createTestRedisPrefix,
  eventAuthEnv,
  eventAuthorization,
  TEST_REDIS_URL,
} from '@premiere/testing';
import { loadDemoCatalog } from '@premiere/local-stack/demo-catalog';
import { reserveSeat } from '@premiere/reserve-seat';
import { catalogSeats, createLegacyCinema } from '@premiere/simulators';
import type { Scenario } from '../scenario';

/** The demo's IMAX premiere: 280 seats, enough for every buyer of a legacy run. */
const SHOW_ID = 'last-starfall-paulista-imax-d1';
/** Its room has other shows: each run of the legacy figure sells one of them (the premiere first). */
const ROOM_ID = 'paulista-imax';
const LEGACY_RUNS = 3;
const BUYERS = 200;
const LEGACY_LIMIT = 10;
const SIGNING_KEYS = { bench: 'bench-signing-key-0123456789abcdefghij' };

/**
 * reserve-seat, the protected zone, in two replicas sharing the legacy system's bulkhead, in
 * front of the legacy simulator (limit 10, 100–300 ms a call).
 *
 * - case `seatmap`: an admitted buyer's seat-map reads (the zone pass checked, their visit open by
 *   the replica's two-second memory of it, the layout and our claims from PostgreSQL, the legacy
 *   seats from the few-seconds cache in Redis).
 * - figure `legacy`: 200 admitted buyers at once, each choosing a free seat from the map, holding
 *   it, paying, and having the payment approved (the event process-payment would send), which
 *   books the seat in the legacy system. The legacy system's utilisation over the run is its busy
 *   time / (limit × elapsed); its highest concurrency must stay within the limit. Three runs, on
 *   three shows of the premiere's room; the figure is their median.
 */
export const protectedZone: Scenario = {
  name: 'protected-zone',
  async setup() {
    const db = await createTestDatabase();
    await loadDemoCatalog(db.url);
    const redis = createTestRedisPrefix();
    const catalog = new pg.Pool({ connectionString: db.url, max: 2 });
    const legacy = createLegacyCinema({
      port: 0,
      seatsOf: catalogSeats(catalog),
      latencyMs: [100, 300],
      concurrencyLimit: LEGACY_LIMIT,
      holdSeconds: 600,
      overload: '503',
      stallMs: 0,
    });
    await legacy.start();
    const legacyUrl = `http://127.0.0.1:${legacy.info.port}`;
    // The broker's ingress, taking every event as a broker does (a closed port would have every
    // publish fail and be backed off: less work than a deployment does).
    const broker = http.createServer((req, res) => req.resume().on('end', () => res.writeHead(202).end()));
    await new Promise<void>((resolve) => broker.listen(0, '127.0.0.1', resolve));
    const sink = `http://127.0.0.1:${(broker.address() as { port: number }).port}/`;
    // The buyers' client: keep-alive connections, lighter than fetch, so the crowd takes less of
    // the CPU it shares with the replicas.
    const crowd = new Agent({ keepAliveTimeout: 30_000 });
    const replicas: RunningFunction[] = [];
    for (let i = 0; i < 2; i++) {
      const fn = createFunction(
        reserveSeat,
        {
          PORT: '0',
          DATABASE_URL: db.url,
          REDIS_URL: TEST_REDIS_URL,
          REDIS_KEY_PREFIX: redis.prefix,
          K_SINK: sink,
          LOG_LEVEL: 'warn',
          LEGACY_URL: legacyUrl,
          LEGACY_CONCURRENCY: String(LEGACY_LIMIT),
          TOKEN_SIGNING_KEYS: JSON.stringify(SIGNING_KEYS),
          ADMIN_TOKEN: 'bench-admin-token-0123456789',
          HOLD_SECONDS: '600',
          ...eventAuthEnv(),
        },
        pino.destination({ dest: '/dev/null', sync: false }),
      );
      await fn.start();
      replicas.push(fn);
    }
    const urls = replicas.map((fn) => `http://127.0.0.1:${fn.server.info.port}`);
    const signer = new TokenSigner(SIGNING_KEYS);
    /**
     * An admitted visitor who has entered seat selection: the waiting room's access token for the
     * show, bound to their session, exchanged for the zone pass of their visit.
     */
    const admitted = async (vid: number, show = SHOW_ID) => {
      const session = `bench-buyer-${randomUUID()}`;
      const now = Math.floor(Date.now() / 1000);
      const token = signer.sign({
        typ: 'access',
        show,
        vid,
        place: vid,
        ses: sessionHash(session),
        iat: now,
        exp: now + 60,
      });
      const entered = await request(`${urls[vid % 2]}/checkout/${show}?access=${token}`, {
        headers: { 'x-session-id': session },
      });
      if (entered.statusCode !== 200) throw new Error(`entering: ${entered.statusCode} ${await entered.body.text()}`);
      const { zoneToken } = (await entered.body.json()) as { zoneToken: string };
      return { authorization: `Bearer ${zoneToken}`, 'x-session-id': session };
    };
    /** 200 admitted buyers at once on `show`; the legacy system's utilisation over the run. */
    const legacyRun = async (show: string) => {
      await fetch(`${legacyUrl}/stats/reset`, { method: 'POST' });
      const sessions = await Promise.all(Array.from({ length: BUYERS }, (_, i) => admitted(1_000 + i, show))); // before the clock: the waiting room's work, and entering
      const started = Date.now();
      const outcomes = await Promise.all(sessions.map((session, i) => buyer(crowd, urls[i % 2], show, session)));
      const elapsedMs = Date.now() - started;
      const stats = (await (await fetch(`${legacyUrl}/stats`)).json()) as {
        busy_ms: number;
        max_concurrency: number;
        limit: number;
        requests: number;
        rejected: number;
      };
      const sold = outcomes.filter((o) => o.confirmed).length;
      if (sold !== BUYERS) throw new Error(`${show}: only ${sold} of ${BUYERS} buyers got their seat`);
      return {
        show,
        utilisation: Math.round((stats.busy_ms / (stats.limit * elapsedMs)) * 100) / 100,
        max_concurrency: stats.max_concurrency,
        limit: stats.limit,
        elapsed_ms: elapsedMs,
        calls: stats.requests,
        rejected: stats.rejected,
        busy_answers: outcomes.reduce((n, o) => n + o.busy, 0),
        seat_conflicts: outcomes.reduce((n, o) => n + o.conflicts, 0),
      };
    };

    return {
      cases: {
        seatmap: { url: `${urls[0]}/checkout/api/shows/${SHOW_ID}/seats`, headers: await admitted(2) },
      },
      // One run is a few seconds on a shared machine: the figure is the median of three, each run listed.
      figures: async () => {
        const { rows: shows } = await catalog.query<{ id: string }>(
          'SELECT id FROM render_catalog.shows WHERE room_id = $1 ORDER BY id = $2 DESC, starts_at DESC LIMIT $3',
          [ROOM_ID, SHOW_ID, LEGACY_RUNS],
        );
        const runs = [];
        for (const { id } of shows) runs.push(await legacyRun(id));
        const median = [...runs].sort((a, b) => a.utilisation - b.utilisation)[Math.floor(runs.length / 2)];
        return {
          legacy: {
            utilisation: median.utilisation,
            max_concurrency: Math.max(...runs.map((r) => r.max_concurrency)),
            limit: median.limit,
            buyers: BUYERS,
            rejected: runs.reduce((n, r) => n + r.rejected, 0),
            runs,
          },
        };
      },
      async teardown() {
        await Promise.all(replicas.map((fn) => fn.stop()));
        await legacy.stop();
        await new Promise((resolve) => broker.close(resolve));
        await crowd.close();
        await catalog.end();
        await redis.clean();
        await db.drop();
      },
    };
  },
};

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One admitted buyer, as fast as they can: a free seat from the map, held (another one if someone
 * was quicker), paid, approved. "Busy" answers (503) are waited out as the answer asks.
 */
async function buyer(crowd: Agent, url: string, show: string, session: Record<string, string>) {
  const tally = { confirmed: false, busy: 0, conflicts: 0 };
  const call = async (method: string, path: string, body?: unknown, extra: Record<string, string> = {}) => {
    for (;;) {
      const res = await request(`${url}${path}`, {
        method: method as 'GET' | 'POST',
        dispatcher: crowd,
        headers: { ...session, ...(body ? { 'content-type': 'application/json' } : {}), ...extra },
        body: body ? JSON.stringify(body) : undefined,
      });
      if (res.statusCode !== 503 && res.statusCode !== 500)
        return { status: res.statusCode, json: () => res.body.json(), text: () => res.body.text() };
      tally.busy++;
      await res.body.dump();
      await pause(Number(res.headers['retry-after'] ?? 1) * 1000 * Math.random());
    }
  };
  let orderId: string | undefined;
  let price = { totalCents: 0, currency: '' };
  while (!orderId) {
    const map = (await (await call('GET', `/checkout/api/shows/${show}/seats`)).json()) as {
      rows: { seats: { seat: string; status: string }[] }[];
    };
    const free = map.rows.flatMap((r) => r.seats).filter((s) => s.status === 'free');
    if (free.length === 0) throw new Error('the show sold out before every buyer got a seat');
    const seat = free[Math.floor(Math.random() * free.length)].seat;
    const res = await call('POST', `/checkout/api/shows/${show}/orders`, { seats: [{ seat, ticketType: 'full' }] });
    const body = (await res.json()) as { orderId?: string; totalCents: number; currency: string; message?: string };
    if (res.status === 201) {
      orderId = body.orderId;
      price = { totalCents: body.totalCents, currency: body.currency };
    } else if (res.status === 409) tally.conflicts++;
    else throw new Error(`holding ${seat}: ${res.status} ${body.message}`);
  }
  const paying = await call('POST', `/checkout/api/orders/${orderId}/payment`, { paymentToken: 'tok_visa' });
  if (paying.status !== 202) throw new Error(`paying: ${paying.status} ${await paying.text()}`);
  const { paymentId } = (await paying.json()) as { paymentId: string };
  // What process-payment sends when the provider approves (what was asked for); a 500 (legacy busy) is redelivered.
  const approval = paymentApproved.event({
    paymentId,
    orderId,
    attempt: attemptOf(paymentId).attempt,
    amountCents: price.totalCents,
    currency: price.currency,
    providerPaymentId: 'pay_bench',
  });
  const approved = await call('POST', '/events', approval.data, {
    'ce-specversion': '1.0',
    'ce-id': randomUUID(),
    'ce-source': '/bench/process-payment',
    'ce-type': approval.type,
    authorization: eventAuthorization('reserve-seat'),
  });
  if (approved.status !== 204 && approved.status !== 200)
    throw new Error(`approving: ${approved.status} ${await approved.text()}`);
  await approved.text();
  const order = (await (await call('GET', `/checkout/api/orders/${orderId}`)).json()) as { state: string };
  tally.confirmed = order.state === 'confirmed';
  return tally;
}
