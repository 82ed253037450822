import pg from 'pg';
import { addTestShow } from '@premiere/testing';
import { cancelOrder, expireHolds, holdSeats as holdSeatsOf, OrderRefused } from '../src/orders';
import { enterVisit, holdSeats, reserveSeatWorld } from './world';

/** Holding seats against the legacy cinema: never twice, priced here, given up and run out. */
const world = reserveSeatWorld({
  legacy: { latencyMs: [20, 60] },
  env: { LEGACY_CONCURRENCY: '5', LEGACY_SLOT_WAIT_MS: '30000' },
});

describe('holding seats', () => {
  it('never sells a seat twice: 200 buyers racing for 20 seats across two processes, the legacy system never above its limit', async () => {
    const showId = await addTestShow(world.db.url, { seats: 20 });
    const [a, b] = [await world.replica(), await world.replica()];
    await fetch(`${world.legacyUrl}/stats/reset`, { method: 'POST' });
    const seatNames = Array.from({ length: 20 }, (_, i) => `A${i + 1}`);
    // Everyone has entered before the race (the race is for seats, not for entering).
    for (let i = 0; i < 200; i += 20)
      await Promise.all(
        Array.from({ length: 20 }, (_, j) => enterVisit(a, { showId, visitor: i + j + 1, sessionHash: `s${i + j}` })),
      );
    const attempts = await Promise.all(
      Array.from({ length: 200 }, (_, i) => {
        const pick = [seatNames[(i * 7) % 20], seatNames[(i * 13 + 3) % 20]].filter(
          (s, j, all) => all.indexOf(s) === j,
        );
        return holdSeatsOf(i % 2 ? a : b, {
          showId,
          visitor: i + 1,
          sessionHash: `s${i}`,
          seats: pick.map((seat) => ({ seat, ticketType: 'full' as const })),
          extras: [],
        })
          .then((order) => ({ ok: true as const, order }))
          .catch((err) => ({ ok: false as const, err }));
      }),
    );
    const held = attempts.filter((x) => x.ok).flatMap((x) => (x.ok ? x.order.seats.map((s) => s.seat) : []));
    expect(new Set(held).size).toBe(held.length); // no seat in two orders
    expect(held.length).toBeGreaterThan(0);
    for (const x of attempts) if (!x.ok) expect(x.err).toBeInstanceOf(OrderRefused); // seats taken, nothing else

    // Our record and the legacy system agree: exactly the seats we hold are held there.
    const c = new pg.Client({ connectionString: world.db.url });
    await c.connect();
    const claims = (
      await c.query('SELECT seat FROM reserve_seat.seat_claims WHERE show_id = $1 ORDER BY seat', [showId])
    ).rows.map((r) => r.seat);
    await c.end();
    expect(claims.sort()).toEqual([...held].sort());
    const there = (await (await fetch(`${world.legacyUrl}/shows/${showId}/seats`)).json()).seats
      .filter((s: { status: string }) => s.status === 'held')
      .map((s: { seat: string }) => s.seat);
    expect(there.sort()).toEqual([...held].sort());
    const stats = await (await fetch(`${world.legacyUrl}/stats`)).json();
    expect(stats.max_concurrency).toBeLessThanOrEqual(5);
    expect(stats.rejected).toBe(0);
  });

  it('prices the order from the catalog (tickets by type, extras by quantity), whatever the client believes', async () => {
    const showId = await addTestShow(world.db.url, { seats: 20 }); // full 5000, half 2500, at Cine Paulista
    const r = await world.replica();
    const order = await holdSeats(r, {
      showId,
      visitor: 1,
      sessionHash: 's',
      seats: [
        { seat: 'A1', ticketType: 'full' },
        { seat: 'A2', ticketType: 'half' },
      ],
      extras: [{ extraId: 'paulista-popcorn', quantity: 2 }],
    });
    expect(order).toMatchObject({ state: 'pending_payment', currency: 'BRL', totalCents: 5000 + 2500 + 2 * 2800 });
    expect(order.seats.map((s) => s.priceCents)).toEqual([5000, 2500]);
    expect(Date.parse(order.holdExpiresAt) - Date.now()).toBeGreaterThan(100_000);
    const c = new pg.Client({ connectionString: world.db.url });
    await c.connect();
    const { rows } = await c.query('SELECT state, total_cents, hold_id FROM reserve_seat.orders WHERE id = $1', [
      order.orderId,
    ]);
    const trail = (
      await c.query('SELECT from_state, to_state, cause FROM reserve_seat.order_transitions WHERE order_id = $1', [
        order.orderId,
      ])
    ).rows;
    await c.end();
    expect(rows[0]).toMatchObject({ state: 'pending_payment', total_cents: 13100 });
    expect(rows[0].hold_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(trail).toEqual([{ from_state: null, to_state: 'pending_payment', cause: 'seats held' }]);
  });

  it('never promises a hold longer than the legacy system’s own (ours 10 minutes, the cinema’s 2)', async () => {
    const showId = await addTestShow(world.db.url, { seats: 20 });
    const r = await world.replica(600);
    const before = Date.now();
    const order = await holdSeats(r, {
      showId,
      visitor: 1,
      sessionHash: 's',
      seats: [{ seat: 'A1', ticketType: 'full' }],
      extras: [],
    });
    const until = Date.parse(order.holdExpiresAt);
    expect(until - before).toBeGreaterThan(100_000);
    expect(until - Date.now()).toBeLessThanOrEqual(120_000);
    const [row] = await world.sql('SELECT hold_expires_at FROM reserve_seat.orders WHERE id = $1', [order.orderId]);
    expect(row.hold_expires_at.getTime()).toBe(until);
  });

  it('refuses unknown shows, seats and extras, and changes nothing', async () => {
    const showId = await addTestShow(world.db.url, { seats: 5 });
    const r = await world.replica();
    const ask = (over: Partial<Parameters<typeof holdSeats>[1]>) =>
      holdSeats(r, {
        showId,
        visitor: 1,
        sessionHash: 's',
        seats: [{ seat: 'A1', ticketType: 'full' }],
        extras: [],
        ...over,
      }).catch((e) => e);
    expect(await ask({ showId: 'no-such-show' })).toMatchObject({ status: 404 });
    expect(await ask({ seats: [{ seat: 'Z9', ticketType: 'full' }] })).toMatchObject({ status: 400, seats: ['Z9'] });
    expect(await ask({ extras: [{ extraId: 'copacabana-popcorn', quantity: 1 }] })).toMatchObject({ status: 400 }); // another cinema's
    const c = new pg.Client({ connectionString: world.db.url });
    await c.connect();
    const { rows } = await c.query('SELECT count(*)::int AS n FROM reserve_seat.orders WHERE show_id = $1', [showId]);
    await c.end();
    expect(rows[0].n).toBe(0);
  });
});

describe('giving up and expiry', () => {
  it('frees the seats when the buyer gives up, here and in the legacy system, and tells the bouncer', async () => {
    const showId = await addTestShow(world.db.url, { seats: 5 });
    const r = await world.replica();
    const order = await holdSeats(r, {
      showId,
      visitor: 7,
      sessionHash: 'mine',
      seats: [
        { seat: 'A1', ticketType: 'full' },
        { seat: 'A2', ticketType: 'full' },
      ],
      extras: [],
    });
    const [{ ends_at: visitEnd }] = await world.sql(
      'SELECT ends_at FROM reserve_seat.visits WHERE show_id = $1 AND visitor = 7',
      [showId],
    );
    expect(await world.legacyStatus(showId, 'A1')).toBe('held');
    await expect(cancelOrder(r, order.orderId, 'someone-else')).rejects.toMatchObject({ status: 404 });
    await cancelOrder(r, order.orderId, 'mine');
    expect(await world.legacyStatus(showId, 'A1')).toBe('free');
    expect(await world.sql('SELECT state FROM reserve_seat.orders WHERE id = $1', [order.orderId])).toEqual([
      { state: 'cancelled' },
    ]);
    expect(await world.sql('SELECT seat FROM reserve_seat.seat_claims WHERE order_id = $1', [order.orderId])).toEqual(
      [],
    );
    expect(
      await world.sql(
        "SELECT type, data FROM reserve_seat.outbox WHERE subject IN ($1, $2) AND type <> 'premiere.show.availability.changed' ORDER BY id",
        [order.orderId, showId],
      ),
    ).toEqual([
      // Entering kept the visitor's zone slot until the visit's end, holding seats until the hold's.
      { type: 'premiere.visitor.active', data: { showId, visitor: 7, until: visitEnd.toISOString() } },
      { type: 'premiere.visitor.active', data: { showId, visitor: 7, until: order.holdExpiresAt } },
      { type: 'premiere.hold.released', data: { showId, visitor: 7, orderId: order.orderId } },
      { type: 'premiere.seat.released', data: { showId, orderId: order.orderId, seats: ['A1', 'A2'] } },
    ]);
    await expect(cancelOrder(r, order.orderId, 'mine')).rejects.toMatchObject({ status: 409 });
    // The seats can be held again.
    await holdSeats(r, {
      showId,
      visitor: 8,
      sessionHash: 'next',
      seats: [{ seat: 'A1', ticketType: 'half' }],
      extras: [],
    });
  });

  it('expires holds that ran out, once, however many replicas sweep, and the seats can be held again', async () => {
    const showId = await addTestShow(world.db.url, { seats: 5 });
    const [a, b] = [await world.replica(2), await world.replica(2)];
    const order = await holdSeats(a, {
      showId,
      visitor: 3,
      sessionHash: 's',
      seats: [{ seat: 'A3', ticketType: 'full' }],
      extras: [],
    });
    expect(await expireHolds(a)).toBe(0); // not yet
    await new Promise((r) => setTimeout(r, 2_100));
    const swept = await Promise.all([expireHolds(a), expireHolds(b), expireHolds(a)]);
    expect(swept.reduce((x, y) => x + y, 0)).toBe(1);
    expect(await world.sql('SELECT state FROM reserve_seat.orders WHERE id = $1', [order.orderId])).toEqual([
      { state: 'expired' },
    ]);
    expect(
      await world.sql(
        "SELECT from_state, to_state, cause FROM reserve_seat.order_transitions WHERE order_id = $1 AND to_state = 'expired'",
        [order.orderId],
      ),
    ).toEqual([{ from_state: 'pending_payment', to_state: 'expired', cause: 'the hold ran out' }]);
    expect(await world.legacyStatus(showId, 'A3')).toBe('free');
    expect(
      (await world.sql('SELECT type FROM reserve_seat.outbox WHERE subject = $1', [order.orderId])).map((r) => r.type),
    ).toEqual(['premiere.hold.expired']);
    const again = await holdSeats(b, {
      showId,
      visitor: 4,
      sessionHash: 't',
      seats: [{ seat: 'A3', ticketType: 'full' }],
      extras: [],
    });
    expect(again.state).toBe('pending_payment');
  });
});
