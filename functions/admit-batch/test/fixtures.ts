import { randomUUID } from 'node:crypto';
import pg from 'pg';

/**
 * Orders of a show as reserve-seat records them (an order and one seat claim per seat): `sold`
 * seats in confirmed orders, `held` seats in an order waiting for payment. For the operators'
 * figures, without running a purchase through the legacy system's simulator.
 */
export async function recordOrders(
  databaseUrl: string,
  showId: string,
  opts: { sold: string[]; held: string[] },
): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    let visitor = 0;
    for (const [state, seats] of [
      ['confirmed', opts.sold],
      ['pending_payment', opts.held],
    ] as const) {
      if (!seats.length) continue;
      const id = randomUUID();
      await client.query(
        `INSERT INTO reserve_seat.orders (id, show_id, visitor, session_hash, state, hold_expires_at, currency, total_cents)
           VALUES ($1, $2, $3, 'fixture-session', $4, now() + interval '2 minutes', 'BRL', $5)`,
        [id, showId, ++visitor, state, 5000 * seats.length],
      );
      for (const seat of seats)
        await client.query('INSERT INTO reserve_seat.seat_claims (show_id, seat, order_id) VALUES ($1, $2, $3)', [
          showId,
          seat,
          id,
        ]);
    }
  } finally {
    await client.end();
  }
}
