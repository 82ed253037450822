import type { ServerRoute } from '@hapi/hapi';
import type pg from 'pg';
import type { Metrics } from './metrics';
import type { Redis } from './redis';

const CHECK_TIMEOUT_MS = 1_000;

async function check(name: string, probe: () => Promise<unknown>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return 'ok';
  } catch (err) {
    return `${name} unreachable: ${(err as Error).message}`;
  } finally {
    clearTimeout(timer);
  }
}

/** /healthz (the process is alive), /readyz (Redis and PostgreSQL answer), /metrics (Prometheus). */
export function healthRoutes(deps: {
  db: pg.Pool;
  redis: Redis;
  metrics: Metrics;
  isStopping: () => boolean;
}): ServerRoute[] {
  return [
    { method: 'GET', path: '/healthz', handler: () => ({ status: 'ok' }) },
    {
      method: 'GET',
      path: '/readyz',
      handler: async (_request, h) => {
        if (deps.isStopping()) return h.response({ status: 'unavailable', reason: 'shutting down' }).code(503);
        const [redis, postgres] = await Promise.all([
          check('redis', () =>
            deps.redis.status === 'ready'
              ? deps.redis.ping()
              : Promise.reject(new Error(`connection ${deps.redis.status}`)),
          ),
          check('postgres', () => deps.db.query('SELECT 1')),
        ]);
        const checks = { redis, postgres };
        const failed = Object.values(checks).filter((c) => c !== 'ok');
        if (failed.length === 0) return { status: 'ok', checks };
        return h.response({ status: 'unavailable', reason: failed.join('; '), checks }).code(503);
      },
    },
    {
      method: 'GET',
      path: '/metrics',
      handler: async (_request, h) =>
        h.response(await deps.metrics.registry.metrics()).type(deps.metrics.registry.contentType),
    },
  ];
}
