import type Hapi from '@hapi/hapi';
import pg from 'pg';
import { sessionHash, TokenSigner } from '@premiere/contracts';
import { createFunction, type RunningFunction } from '@premiere/runtime';
import {
  captureLogs,
  createTestDatabase,
  createTestRedisPrefix,
  testEnv,
  type TestDatabase,
  loadDemoCatalog,
  TEST_ADMIN_TOKEN,
  TEST_SIGNING_KEYS,
} from '@premiere/testing';
import { catalogSeats, createLegacyCinema, type LegacyCinemaOptions } from '@premiere/simulators';
import { holdSeats as holdSeatsOf } from '../src/orders';
import { reserveSeat } from '../src';

/** What a visitor's browser holds once admitted and in: their session and zone token, and the headers that carry them. */
export interface Admitted {
  session: string;
  zoneToken: string;
  seatMap: string;
  orders: string;
  zoneExpiresAt: string;
  headers: Record<string, string>;
}

/**
 * A reserve-seat test file's world, made before its tests and taken down after them: its own
 * database with the demo catalog, its own Redis key prefix, a legacy cinema simulator (fast unless
 * told), and every reserve-seat it starts. Call once at the top of a test file.
 */
export function reserveSeatWorld(
  opts: { legacy?: Partial<Omit<LegacyCinemaOptions, 'port' | 'seatsOf'>>; env?: Record<string, string> } = {},
) {
  const redis = createTestRedisPrefix();
  const running: RunningFunction[] = [];
  const signer = new TokenSigner(JSON.parse(TEST_SIGNING_KEYS));
  let db: TestDatabase;
  let legacy: Hapi.Server;
  let legacyUrl = '';
  let visitors = 0;

  beforeAll(async () => {
    db = await createTestDatabase();
    await loadDemoCatalog(db.url);
    const catalog = new pg.Pool({ connectionString: db.url, max: 2 });
    legacy = createLegacyCinema({
      port: 0,
      seatsOf: catalogSeats(catalog),
      latencyMs: [1, 5],
      concurrencyLimit: 5,
      holdSeconds: 120,
      overload: '503',
      stallMs: 0,
      ...opts.legacy,
    });
    legacy.events.on('stop', () => void catalog.end());
    await legacy.start();
    legacyUrl = `http://127.0.0.1:${legacy.info.port}`;
  });
  afterAll(async () => {
    await Promise.all(running.splice(0).map((f) => f.stop()));
    await legacy?.stop();
    await db?.drop();
    await redis.clean();
  });

  const world = {
    get db() {
      return db;
    },
    get legacyUrl() {
      return legacyUrl;
    },
    redis,
    signer,
    /** A reserve-seat process on this world (its own pools and Redis connection), and its URL. */
    async start(env: Record<string, string> = {}) {
      const fn = createFunction(
        reserveSeat,
        testEnv(db, redis.prefix, {
          LEGACY_URL: legacyUrl,
          TOKEN_SIGNING_KEYS: TEST_SIGNING_KEYS,
          ADMIN_TOKEN: TEST_ADMIN_TOKEN,
          ...opts.env,
          ...env,
        }),
        captureLogs().stream,
      );
      running.push(fn);
      await fn.start();
      return { fn, url: `http://127.0.0.1:${fn.server.info.port}` };
    },
    /** A reserve-seat process's orders, to call as its routes do; `holdSeconds`: how long its holds last. */
    async replica(holdSeconds = 120, env: Record<string, string> = {}) {
      const { fn } = await world.start(env);
      return { ...fn.deps.orders, holdSeconds, fn };
    },
    /** An access token as issue-token gives an admitted visitor (`vid` also their place). */
    access(showId: string, session: string, vid: number, exp = Math.floor(Date.now() / 1000) + 60) {
      return signer.sign({
        typ: 'access',
        show: showId,
        vid,
        place: vid,
        ses: sessionHash(session),
        iat: Math.floor(Date.now() / 1000),
        exp,
      });
    },
    /** A new visitor (a new session named after `label`), admitted to `showId` and come into seat selection at `url`. */
    async admit(url: string, showId: string, label = 'visitor', vid = ++visitors): Promise<Admitted> {
      const session = `${label}-session-${String(vid).padStart(8, '0')}`;
      const res = await fetch(`${url}/checkout/${showId}?access=${world.access(showId, session, vid)}`, {
        headers: { 'x-session-id': session },
      });
      if (res.status !== 200) throw new Error(`entering ${showId} answered ${res.status}: ${await res.text()}`);
      const zone = await res.json();
      return {
        session,
        ...zone,
        headers: {
          authorization: `Bearer ${zone.zoneToken}`,
          'x-session-id': session,
          'content-type': 'application/json',
        },
      };
    },
    /** A query on the world's database, its rows. */
    async sql(text: string, params: unknown[] = []) {
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      try {
        return (await c.query(text, params)).rows;
      } finally {
        await c.end();
      }
    },
    /** A seat's state in the legacy cinema: free, held or booked. */
    async legacyStatus(showId: string, seat: string): Promise<string> {
      return (await (await fetch(`${legacyUrl}/shows/${showId}/seats`)).json()).seats.find(
        (s: { seat: string }) => s.seat === seat,
      ).status;
    },
  };
  return world;
}

export type Replica = Awaited<ReturnType<ReturnType<typeof reserveSeatWorld>['replica']>>;

/** The visitor enters (their visit opens), as GET /checkout/<show> does. */
export const enterVisit = (r: Replica, input: { showId: string; visitor: number; sessionHash: string }) =>
  r.fn.deps.visits.open(input.showId, input.visitor, input.sessionHash);

/** Holds seats as the orders route does: for a visitor who has entered. */
export async function holdSeats(r: Replica, input: Parameters<typeof holdSeatsOf>[1]) {
  await enterVisit(r, input);
  return holdSeatsOf(r, input);
}
