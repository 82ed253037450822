import type Hapi from '@hapi/hapi';
import { createLegacyCinema, type LegacyCinemaOptions } from '@premiere/simulators';

const SEATS = ['A1', 'A2', 'A3', 'B1', 'B2', 'B3'];
let server: Hapi.Server;

async function start(overrides: Partial<LegacyCinemaOptions> = {}) {
  server = createLegacyCinema({
    port: 0,
    seatsOf: async (showId) => (showId === 'show-1' ? SEATS : null),
    latencyMs: [5, 10],
    concurrencyLimit: 10,
    holdSeconds: 120,
    overload: '503',
    stallMs: 0,
    ...overrides,
  });
  await server.start();
  return `http://127.0.0.1:${server.info.port}`;
}
afterEach(() => server.stop());

const json = { 'content-type': 'application/json' };
const hold = (url: string, seats: string[], show = 'show-1') =>
  fetch(`${url}/shows/${show}/holds`, { method: 'POST', headers: json, body: JSON.stringify({ seats }) });

describe('the legacy cinema simulator', () => {
  it('lists every hold it keeps, booked, held or released, for checks against our tickets (GET /records)', async () => {
    const url = await start();
    const booked = (await (await hold(url, ['A1', 'A2'])).json()).holdId;
    await fetch(`${url}/holds/${booked}/confirm`, { method: 'POST' });
    await hold(url, ['B1']);
    const { since, holds } = await (await fetch(`${url}/records`)).json();
    expect(Date.parse(since)).toBeLessThanOrEqual(Date.now());
    expect(
      holds.map((h: { showId: string; seats: string[]; status: string }) => [h.showId, h.seats, h.status]),
    ).toEqual([
      ['show-1', ['A1', 'A2'], 'booked'],
      ['show-1', ['B1'], 'held'],
    ]);
  });

  it('lists seats, holds them (all or nothing), books and releases holds', async () => {
    const url = await start();
    const first = await hold(url, ['A1', 'A2']);
    expect(first.status).toBe(201);
    const { holdId, expiresAt } = await first.json();
    expect(new Date(expiresAt).getTime()).toBeGreaterThan(Date.now() + 110_000);

    const clash = await hold(url, ['A2', 'A3']);
    expect(clash.status).toBe(409);
    expect(await clash.json()).toEqual({ error: 'seats not available', seats: ['A2'] });

    const seats = (await (await fetch(`${url}/shows/show-1/seats`)).json()).seats;
    expect(seats.slice(0, 3)).toEqual([
      { seat: 'A1', status: 'held' },
      { seat: 'A2', status: 'held' },
      { seat: 'A3', status: 'free' },
    ]);

    expect((await fetch(`${url}/holds/${holdId}/confirm`, { method: 'POST' })).status).toBe(200);
    expect((await fetch(`${url}/holds/${holdId}/confirm`, { method: 'POST' })).status).toBe(200); // idempotent
    expect((await fetch(`${url}/holds/${holdId}`, { method: 'DELETE' })).status).toBe(409); // booked for good

    const other = await (await hold(url, ['B1'])).json();
    expect((await fetch(`${url}/holds/${other.holdId}`, { method: 'DELETE' })).status).toBe(204);
    expect((await hold(url, ['B1'])).status).toBe(201); // free again
  });

  it('lets a hold expire and refuses to book it afterwards', async () => {
    const url = await start({ holdSeconds: 1 });
    const { holdId } = await (await hold(url, ['A1'])).json();
    await new Promise((r) => setTimeout(r, 1_100));
    expect((await fetch(`${url}/holds/${holdId}/confirm`, { method: 'POST' })).status).toBe(410);
    expect((await hold(url, ['A1'])).status).toBe(201);
  });

  it('refuses bad input and unknown things with 4xx', async () => {
    const url = await start();
    expect((await hold(url, ['A1'], 'no-such-show')).status).toBe(404);
    expect((await hold(url, ['Z9'])).status).toBe(422);
    expect((await hold(url, [])).status).toBe(400);
    expect((await hold(url, ['A1', 'A1'])).status).toBe(400);
    expect((await fetch(`${url}/holds/not-a-uuid/confirm`, { method: 'POST' })).status).toBe(400);
    expect((await fetch(`${url}/holds/6f1c1f0e-4a55-4c39-8d83-1d2f2a1b9c00/confirm`, { method: 'POST' })).status).toBe(
      404,
    );
  });

  it('answers 503 above its concurrency limit and records the highest concurrency it saw', async () => {
    const url = await start({ concurrencyLimit: 4, latencyMs: [200, 200] });
    const answers = await Promise.all(Array.from({ length: 10 }, () => fetch(`${url}/shows/show-1/seats`)));
    const codes = answers.map((r) => r.status).sort();
    expect(codes.filter((c) => c === 200)).toHaveLength(4);
    expect(codes.filter((c) => c === 503)).toHaveLength(6);
    const stats = await (await fetch(`${url}/stats`)).json();
    expect(stats).toMatchObject({ limit: 4, requests: 10, served: 4, rejected: 6, in_flight: 0 });
    expect(stats.max_concurrency).toBeGreaterThan(4); // the overload shows
    expect(stats.busy_ms).toBeGreaterThanOrEqual(4 * 195);

    await fetch(`${url}/stats/reset`, { method: 'POST' });
    await fetch(`${url}/shows/show-1/seats`);
    expect(await (await fetch(`${url}/stats`)).json()).toMatchObject({ max_concurrency: 1, requests: 1, rejected: 0 });
  });

  it('stalls above its limit when told to', async () => {
    const url = await start({ concurrencyLimit: 1, latencyMs: [100, 100], overload: 'stall', stallMs: 400 });
    const started = Date.now();
    const answers = await Promise.all([fetch(`${url}/shows/show-1/seats`), fetch(`${url}/shows/show-1/seats`)]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 503]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
  });
});
