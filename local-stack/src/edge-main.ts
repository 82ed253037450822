import { ConfigError, createLogger, loadConfig } from '@premiere/runtime';
import { loadRoutes } from './declarations';
import { createEdge } from './edge';
import { edgeEnv } from './env';

/**
 * The local edge in a process of its own, as NGINX is a pod of its own on a cluster: `npm start`
 * launches it on PREMIERE_PORT (as PORT) and starts it again if it dies, and nothing it is sent can
 * take the broker or the supervisor with it.
 */
async function main() {
  const config = loadConfig(edgeEnv);
  const log = createLogger({ name: 'edge', level: config.LOG_LEVEL });
  // Parsed from JSON by its schema (env.ts), hence the cast.
  const edge = createEdge({
    routes: loadRoutes(),
    functions: config.EDGE_FUNCTIONS as unknown as Record<string, string>,
    forwardedProto: config.EDGE_FORWARDED_PROTO || 'http',
    log,
  });
  await new Promise<void>((resolve, reject) => {
    edge.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(`port ${config.PORT} is in use: stop what uses it or set PREMIERE_PORT`)
          : err,
      ),
    );
    edge.listen(config.PORT, '0.0.0.0', resolve);
  });
  log.info({ port: (edge.address() as { port: number }).port }, 'edge listening');

  // SIGTERM: no new connections, requests in flight may finish (a few seconds at most).
  const stop = () => {
    edge.close(() => process.exit(0));
    edge.closeIdleConnections();
    setTimeout(() => process.exit(0), 5_000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err) => {
  process.stderr.write(
    `premiere edge: ${err instanceof ConfigError ? 'configuration error: ' : ''}${(err as Error).message}\n`,
  );
  process.exit(1);
});
