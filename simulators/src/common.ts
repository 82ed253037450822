import Hapi from '@hapi/hapi';
import Joi from 'joi';
import { ConfigError, createLogger } from '@premiere/runtime';

/** "300-1500" (uniform between) or "500" (fixed), in milliseconds. */
export const latencyRange = Joi.string().pattern(/^\d+(-\d+)?$/);

export function parseRange(spec: string): [number, number] {
  const [min, max = min] = spec.split('-').map(Number);
  if (max < min) throw new Error(`latency range "${spec}" has its maximum below its minimum`);
  return [min, max];
}

export function pickLatency([min, max]: [number, number]): number {
  return min + Math.random() * (max - min);
}

// unref: a pending simulated delay never keeps a stopped simulator (or a test run) alive.
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export function simulatorServer(port: number, host = '0.0.0.0'): Hapi.Server {
  const server = Hapi.server({
    port,
    host,
    routes: {
      validate: {
        failAction: async (_r, _h, err) => {
          throw err;
        },
      },
    },
  });
  server.validator(Joi);
  server.route({ method: 'GET', path: '/healthz', handler: () => ({ status: 'ok' }) });
  return server;
}

/**
 * A simulator's main: builds its server, starts it, and stops it on SIGTERM or SIGINT (exit 0).
 * A configuration error stops the process with one line naming the variable.
 */
export function runSimulator(
  name: string,
  build: () => { server: Hapi.Server; logLevel: string; fields?: object; close?: () => Promise<void> },
): void {
  (async () => {
    const built = build();
    const log = createLogger({ name, level: built.logLevel });
    await built.server.start();
    log.info({ port: built.server.info.port, ...built.fields }, `${name} simulator listening`);
    const stop = async () => {
      await built.server.stop({ timeout: 1_000 });
      await built.close?.();
      process.exit(0);
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  })().catch((err) => {
    process.stderr.write(
      `${name}: ${err instanceof ConfigError ? 'configuration error: ' : ''}${(err as Error).message}\n`,
    );
    process.exit(1);
  });
}
