import Joi from 'joi';
import pg from 'pg';
import { ConfigError, createLogger, loadConfig, runtimeEnv } from '@premiere/runtime';
import { latencyRange, parseRange } from './common';
import { createLegacyCinema } from './legacy-cinema';

export const legacyCinemaEnv = {
  PORT: runtimeEnv.PORT,
  DATABASE_URL: { ...runtimeEnv.DATABASE_URL, expect: 'the PostgreSQL URL of the catalog the seat maps are read from' },
  LEGACY_LATENCY_MS: { schema: latencyRange.default('300-1500'), expect: 'a latency in ms, fixed ("500") or a range ("300-1500")' },
  LEGACY_CONCURRENCY_LIMIT: { schema: Joi.number().integer().min(1).default(10), expect: 'a positive integer' },
  LEGACY_HOLD_SECONDS: { schema: Joi.number().integer().min(1).default(120), expect: 'seconds a hold lasts (positive integer)' },
  LEGACY_OVERLOAD: { schema: Joi.string().valid('503', 'stall', 'mixed').default('mixed'), expect: 'one of 503, stall, mixed' },
  LEGACY_STALL_MS: { schema: Joi.number().integer().min(0).default(20_000), expect: 'milliseconds an overloaded call stalls before its 503' },
};

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
