import { addTestShow } from '@premiere/testing';
import { holdSeats, reserveSeatWorld } from './world';

/** The seat map as reserve-seat builds it from the legacy cinema: shared, cached, stale while it asks again. */
const world = reserveSeatWorld({
  legacy: { latencyMs: [20, 60] },
  env: { LEGACY_CONCURRENCY: '5', LEGACY_SLOT_WAIT_MS: '30000' },
});

describe('the seat map', () => {
  it('shows the room by rows with each seat free, held or taken; ten buyers looking make one legacy call per replica', async () => {
    const showId = await addTestShow(world.db.url, { seats: 8 });
    const [a, b] = [await world.replica(), await world.replica()];
    await holdSeats(a, {
      showId,
      visitor: 1,
      sessionHash: 's',
      seats: [{ seat: 'A2', ticketType: 'full' }],
      extras: [],
    });
    const before = (await (await fetch(`${world.legacyUrl}/stats`)).json()).requests;
    const maps = [a.fn.deps.seatMaps, b.fn.deps.seatMaps];
    const views = await Promise.all(Array.from({ length: 10 }, (_, i) => maps[i % 2].of(showId)));
    const after = (await (await fetch(`${world.legacyUrl}/stats`)).json()).requests;
    expect(after - before).toBeLessThanOrEqual(2);
    for (const view of views) {
      expect(view!.rows).toHaveLength(1);
      expect(view!.rows[0].seats.map((s) => `${s.seat}:${s.status}`)).toEqual([
        'A1:free',
        'A2:held',
        'A3:free',
        'A4:free',
        'A5:free',
        'A6:free',
        'A7:free',
        'A8:free',
      ]);
    }
    // Within the cache time, more looks cost nothing there.
    await maps[0].of(showId);
    expect((await (await fetch(`${world.legacyUrl}/stats`)).json()).requests).toBe(after);
    expect(await maps[0].of('no-such-show')).toBeNull();
  });

  it('builds the map once for readers who ask at the same time, and a read after a hold shows it', async () => {
    const showId = await addTestShow(world.db.url, { seats: 8 });
    const a = await world.replica();
    const maps = a.fn.deps.seatMaps;
    const together = await Promise.all(Array.from({ length: 20 }, () => maps.of(showId)));
    expect(new Set(together).size).toBe(1); // one build (one query) for all twenty
    await holdSeats(a, {
      showId,
      visitor: 1,
      sessionHash: 's',
      seats: [{ seat: 'A3', ticketType: 'full' }],
      extras: [],
    });
    expect((await maps.of(showId))!.rows[0].seats[2]).toMatchObject({ seat: 'A3', status: 'held' });
  });

  it('answers from the stale copy once the cache time is up while one replica asks the legacy system again', async () => {
    const showId = await addTestShow(world.db.url, { seats: 8 });
    const [a, b] = [
      await world.replica(120, { SEATMAP_CACHE_MS: '300' }),
      await world.replica(120, { SEATMAP_CACHE_MS: '300' }),
    ];
    const maps = [a.fn.deps.seatMaps, b.fn.deps.seatMaps];
    await maps[0].of(showId);
    await fetch(`${world.legacyUrl}/shows/${showId}/holds`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ seats: ['A5'] }),
    });
    await new Promise((r) => setTimeout(r, 350));
    const before = (await (await fetch(`${world.legacyUrl}/stats`)).json()).requests;
    const stale = await Promise.all(Array.from({ length: 10 }, (_, i) => maps[i % 2].of(showId)));
    for (const view of stale) expect(view!.rows[0].seats[4]).toMatchObject({ seat: 'A5', status: 'free' }); // no reader waited
    await new Promise((r) => setTimeout(r, 150)); // the simulator answers in 20–60 ms
    expect((await (await fetch(`${world.legacyUrl}/stats`)).json()).requests - before).toBe(1);
    expect((await maps[1].of(showId))!.rows[0].seats[4]).toMatchObject({ seat: 'A5', status: 'held' });
  });

  it('shows a stale copy for at most 15 times the cache time: past that, a reader waits for the legacy system', async () => {
    const showId = await addTestShow(world.db.url, { seats: 8 });
    const maps = (await world.replica(120, { SEATMAP_CACHE_MS: '100' })).fn.deps.seatMaps;
    await maps.of(showId);
    await fetch(`${world.legacyUrl}/shows/${showId}/holds`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ seats: ['A5'] }),
    });
    await new Promise((r) => setTimeout(r, 1_600)); // past 15 × 100 ms, with nobody reading meanwhile
    expect((await maps.of(showId))!.rows[0].seats[4]).toMatchObject({ seat: 'A5', status: 'held' });
  });
});
