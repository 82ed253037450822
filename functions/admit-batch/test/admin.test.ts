import pg from 'pg';
import { createFunction, type RunningFunction } from '@premiere/runtime';
import { LEGACY_USAGE_KEY } from '@premiere/contracts';
import {
  captureLogs,
  createTestDatabase,
  createTestRedisPrefix,
  testEnv,
  type TestDatabase,
  loadDemoCatalog,
  addTestShow,
  TEST_ADMIN_TOKEN,
  TEST_SIGNING_KEYS,
  dropConnectionBeforeHandler,
} from '@premiere/testing';
import { admitBatch } from '../src';
import { recordOrders } from './fixtures';

/**
 * The operators' page and the figures it is drawn from: a sign-in form (no prompt()), each show by
 * its title, cinema, room and the cinema's time zone, its seats sold, held and free, and the
 * legacy system's usage for the page's live charts.
 */

let db: TestDatabase;
const redis = createTestRedisPrefix();
let bouncer: RunningFunction;
let url: string;

beforeAll(async () => {
  db = await createTestDatabase();
  await loadDemoCatalog(db.url);
  bouncer = createFunction(
    admitBatch,
    testEnv(db, redis.prefix, { TOKEN_SIGNING_KEYS: TEST_SIGNING_KEYS, ADMIN_TOKEN: TEST_ADMIN_TOKEN }),
    captureLogs().stream,
  );
  await bouncer.start();
  url = `http://127.0.0.1:${bouncer.server.info.port}`;
});
afterAll(async () => {
  await bouncer?.stop();
  await db.drop();
  await redis.clean();
});

const admin = (path: string) => fetch(`${url}${path}`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });

describe('the operators’ page', () => {
  it('signs in with a form and a password field, asks nothing in a prompt(), and confirms in a dialog, not confirm()', async () => {
    const res = await fetch(`${url}/admin`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    // Its buttons do harm if another site frames the page and tricks a click.
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const page = await res.text();
    expect(page).toMatch(/<html lang="pt-BR">/);
    expect(page).toMatch(/<form[^>]*id="sign-in"/);
    expect(page).toMatch(/<label for="token">[^<]+<\/label>/);
    expect(page).toMatch(/<input[^>]*id="token"[^>]*type="password"|<input[^>]*type="password"[^>]*id="token"/);
    expect(page).toContain('<dialog');
    expect(page).not.toMatch(/\bprompt\(/);
    expect(page).not.toMatch(/\bconfirm\(/);
    // The token is kept for the tab only, and never put in a URL.
    expect(page).toContain('sessionStorage');
    expect(page).not.toContain('localStorage');
  });
});

describe('the operators’ API, for the page', () => {
  it('lists each show with its title, cinema, city, room and time zone, and its seats sold, held and free', async () => {
    const showId = await addTestShow(db.url, { seats: 20, cinema: 'copacabana' });
    expect((await admin(`/admin/api/shows/${showId}`)).status).toBe(200);
    let show = await (await admin(`/admin/api/shows/${showId}`)).json();
    expect(show).toMatchObject({
      title: 'The Last Starfall',
      cinemaName: 'Cine Copacabana',
      city: 'Rio de Janeiro',
      timeZone: 'America/Sao_Paulo',
      room: 'Test room',
      seats: 20,
      seatsSold: 0,
      seatsHeld: 0,
    });

    await recordOrders(db.url, showId, { sold: ['A1', 'A2', 'A3'], held: ['A4', 'A5'] });
    show = await (await admin(`/admin/api/shows/${showId}`)).json();
    expect({ sold: show.seatsSold, held: show.seatsHeld }).toEqual({ sold: 3, held: 2 });

    const list = await (await admin('/admin/api/shows')).json();
    const listed = list.shows.find((s: { showId: string }) => s.showId === showId);
    expect(listed).toMatchObject({
      title: 'The Last Starfall',
      city: 'Rio de Janeiro',
      timeZone: 'America/Sao_Paulo',
      room: 'Test room',
      seatsSold: 3,
      seatsHeld: 2,
    });
    // When the figures were read: the page's charts measure rates between two polls with it.
    expect(Math.abs(Date.parse(list.at) - Date.now())).toBeLessThan(5_000);
  });

  it('says how busy the legacy system is: its limit, the calls in flight and the busy time so far (null before any call)', async () => {
    expect((await (await admin('/admin/api/shows')).json()).legacy).toBeNull();
    // As reserve-seat's bulkhead counts them: the limit and counters, and a slot leased until its end.
    await bouncer.ctx.redis.hset(
      LEGACY_USAGE_KEY,
      'limit',
      10,
      'busyMs',
      12_500,
      'calls',
      9,
      'full',
      1,
      'waitedMs',
      300,
    );
    await bouncer.ctx.redis.zadd(
      '{legacy}:bulkhead',
      Date.now() + 30_000,
      'p1:c1',
      Date.now() + 30_000,
      'p1:c2',
      Date.now() - 1_000,
      'gone:c3',
    );
    const { legacy } = await (await admin('/admin/api/shows')).json();
    expect(legacy).toEqual({ limit: 10, inFlight: 2, busyMs: 12_500, calls: 9, gaveUp: 1 });
  });
});

describe('an operator’s action', () => {
  it('an action whose connection closed before it was handled is refused before it changes anything: no pause without its record', async () => {
    const showId = await addTestShow(db.url, { seats: 20 });
    expect((await admin(`/admin/api/shows/${showId}`)).status).toBe(200);
    // The operator's connection goes (a closed laptop, a dropped VPN) once hapi has the request.
    const answered = dropConnectionBeforeHandler(bouncer.server, (headers) => headers['x-test-drop'] === showId);
    await expect(
      fetch(`${url}/admin/api/shows/${showId}/pause`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'x-test-drop': showId },
      }),
    ).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 300));
    expect(answered).toEqual([400]);
    expect((await (await admin(`/admin/api/shows/${showId}`)).json()).paused).toBe(false);
    const pool = new pg.Pool({ connectionString: db.url });
    try {
      const { rows } = await pool.query('SELECT count(*)::int AS n FROM admit_batch.admin_actions WHERE show_id = $1', [
        showId,
      ]);
      expect(rows[0].n).toBe(0);
    } finally {
      await pool.end();
    }
  });

  it('is reported done when it is done, even if the seat counts cannot be read just then', async () => {
    const showId = await addTestShow(db.url, { seats: 20 });
    expect((await admin(`/admin/api/shows/${showId}`)).status).toBe(200);
    const sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    // The figures' query fails (its table away for a moment); the pause itself does not need it.
    await sql.query('ALTER TABLE render_catalog.cinemas RENAME TO cinemas_away');
    try {
      const res = await fetch(`${url}/admin/api/shows/${showId}/pause`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ showId, paused: true });
    } finally {
      await sql.query('ALTER TABLE render_catalog.cinemas_away RENAME TO cinemas');
      await sql.end();
    }
    expect(await (await admin(`/admin/api/shows/${showId}`)).json()).toMatchObject({
      paused: true,
      cinemaName: expect.any(String),
    });
  });
});
