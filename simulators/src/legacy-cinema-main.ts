import pg from 'pg';
import { loadConfig } from '@premiere/runtime';
import { parseRange, runSimulator } from './common';
import { legacyCinemaEnv } from './env';
import { createLegacyCinema } from './legacy-cinema';

runSimulator('legacy-cinema', () => {
  const config = loadConfig(legacyCinemaEnv);
  const db = new pg.Pool({ connectionString: config.DATABASE_URL, max: 2 });
  const server = createLegacyCinema({
    port: config.PORT,
    // The cinema's system and our catalog agree on seat maps (ours is imported from theirs).
    seatsOf: async (showId) => {
      const { rows } = await db.query<{ seat: string }>(
        `SELECT s.seat FROM render_catalog.shows sh JOIN render_catalog.seats s ON s.room_id = sh.room_id
          WHERE sh.id = $1 ORDER BY s.row_label, s.number`,
        [showId],
      );
      return rows.length ? rows.map((r) => r.seat) : null;
    },
    latencyMs: parseRange(config.LEGACY_LATENCY_MS),
    concurrencyLimit: config.LEGACY_CONCURRENCY_LIMIT,
    holdSeconds: config.LEGACY_HOLD_SECONDS,
    overload: config.LEGACY_OVERLOAD as '503' | 'stall' | 'mixed',
    stallMs: config.LEGACY_STALL_MS,
  });
  return { server, logLevel: config.LOG_LEVEL, fields: { limit: config.LEGACY_CONCURRENCY_LIMIT }, close: () => db.end() };
});
