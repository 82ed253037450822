import Joi from 'joi';
import pino from 'pino';
import { createFunction } from '@premiere/runtime';
import type { Scenario } from '../scenario';

/**
 * `route`: a function's plain route through the full runtime (request id, log line, metrics,
 * parameter validation), against the bare hapi route of the baseline.
 */
export const runtime: Scenario = {
  name: 'runtime',
  async setup() {
    const fn = createFunction(
      {
        name: 'render-catalog',
        routes: () => [
          {
            method: 'GET',
            path: '/shows/{showId}',
            options: {
              validate: {
                params: Joi.object({
                  showId: Joi.string()
                    .pattern(/^[a-z0-9-]{1,64}$/)
                    .required(),
                }),
              },
            },
            handler: (request) => ({ show: request.params.showId, ok: true }),
          },
        ],
      },
      {
        PORT: '0',
        DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
        REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
        K_SINK: 'http://127.0.0.1:9/',
        LOG_LEVEL: 'info',
      },
      // Every request is logged as in production; the lines go nowhere so stdout stays the report.
      pino.destination({ dest: '/dev/null', sync: false, minLength: 4096 }),
    );
    await fn.start();
    return {
      cases: { route: { url: `http://127.0.0.1:${fn.server.info.port}/shows/last-starfall-premiere` } },
      teardown: () => fn.stop(),
    };
  },
};
