import pg from 'pg';
import { loadConfig } from '@premiere/runtime';
import { parseRange, runSimulator } from './common';
import { legacyCinemaEnv } from './env';
import { catalogSeats, createLegacyCinema } from './legacy-cinema';

runSimulator('legacy-cinema', () => {
  const config = loadConfig(legacyCinemaEnv);
  const db = new pg.Pool({ connectionString: config.DATABASE_URL, max: 2 });
  // An idle connection that dies (the database restarted) is dropped by the pool; the next query opens another.
  db.on('error', () => undefined);
  const server = createLegacyCinema({
    port: config.PORT,
    host: config.HOST,
    seatsOf: catalogSeats(db),
    latencyMs: parseRange(config.LEGACY_LATENCY_MS),
    concurrencyLimit: config.LEGACY_CONCURRENCY_LIMIT,
    holdSeconds: config.LEGACY_HOLD_SECONDS,
    overload: config.LEGACY_OVERLOAD as '503' | 'stall' | 'mixed',
    stallMs: config.LEGACY_STALL_MS,
  });
  return {
    server,
    logLevel: config.LOG_LEVEL,
    fields: { limit: config.LEGACY_CONCURRENCY_LIMIT },
    close: () => db.end(),
  };
});
