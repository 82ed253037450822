import pg from 'pg';
import { ConfigError, createLogger, loadConfig } from '@premiere/runtime';
import { parseRange } from './common';
import { legacyCinemaEnv } from './env';
import { createLegacyCinema } from './legacy-cinema';

async function main() {
  const config = loadConfig(legacyCinemaEnv);
  const log = createLogger({ name: 'legacy-cinema' });
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
  await server.start();
  log.info({ port: server.info.port, limit: config.LEGACY_CONCURRENCY_LIMIT }, 'legacy cinema simulator listening');
  const stop = async () => {
    await server.stop({ timeout: 1_000 });
    await db.end();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err) => {
  process.stderr.write(`legacy-cinema: ${err instanceof ConfigError ? 'configuration error: ' : ''}${(err as Error).message}\n`);
  process.exit(1);
});
