import pg from 'pg';
import { randomBytes } from 'node:crypto';

/**
 * A show of The Last Starfall (the demo catalog's premiere movie, which must be loaded) in a room
 * of its own with `seats` seats, at the demo's Cine Paulista unless another cinema is named (or a
 * zone capacity, which makes a cinema of its own).
 */
export async function addTestShow(
  databaseUrl: string,
  opts: {
    seats: number;
    salesOpenAt?: Date | null;
    startsAt?: Date;
    overbooking?: number | null;
    cinema?: string;
    zoneCapacity?: number;
  },
): Promise<string> {
  const id = `test-${randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('SET search_path TO render_catalog');
    let cinema = opts.cinema ?? 'paulista';
    if (opts.zoneCapacity !== undefined) {
      // The zone's capacity is a cinema's: a cinema of the show's own, in São Paulo.
      cinema = id;
      await client.query(
        "INSERT INTO cinemas (id, name, city, address, zone_capacity) VALUES ($1, 'Test cinema', 'São Paulo', 'Rua Teste 1', $2)",
        [id, opts.zoneCapacity],
      );
    }
    await client.query("INSERT INTO rooms (id, cinema_id, name, room_type) VALUES ($1, $2, 'Test room', 'regular')", [
      id,
      cinema,
    ]);
    // Rows of 500: A1…A500, B1…
    await client.query(
      `INSERT INTO seats (room_id, seat, row_label, number, col)
         SELECT $1, chr(65 + n / 500) || (n % 500 + 1), chr(65 + n / 500), n % 500 + 1, n % 500 + 1
           FROM generate_series(0, $2 - 1) AS n`,
      [id, opts.seats],
    );
    await client.query(
      `INSERT INTO shows (id, movie_id, room_id, starts_at, sales_open_at, overbooking, price_full_cents, price_half_cents)
         VALUES ($1, 'last-starfall', $1, $2, $3, $4, 5000, 2500)`,
      [id, opts.startsAt ?? new Date(Date.now() + 2 * 86_400_000), opts.salesOpenAt ?? null, opts.overbooking ?? null],
    );
    return id;
  } finally {
    await client.end();
  }
}

export const TEST_SIGNING_KEYS = JSON.stringify({ k1: 'test-signing-key-0123456789abcdefghijkl' });
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789';

/**
 * Every visitor of a test comes from one address (127.0.0.1): issue-token's join limits off, for
 * the tests that are not about them (issue-token's security.test.ts is).
 */
export const NO_JOIN_LIMITS = {
  JOIN_RATE_PER_ADDRESS: '0',
  JOIN_RATE_PER_SESSION: '0',
  ADDRESS_TOKEN_CAP_MIN: '0',
  ADDRESS_TOKEN_CAP_SHARE: '0',
  ADDRESS_NEW_TOKEN_RATE: '0',
};
