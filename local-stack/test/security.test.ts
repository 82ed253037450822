import http from 'node:http';
import { CloudEvent, HTTP } from 'cloudevents';
import pg from 'pg';
import { createFunction, createLogger, type RunningFunction } from '@premiere/runtime';
import { captureLogs, createTestDatabase, createTestRedisPrefix, testEnv, type TestDatabase } from '@premiere/testing';
import { renderCatalog } from '@premiere/render-catalog';
import { loadRoutes } from '../src/declarations';
import { createEdge } from '../src/edge';

/**
 * The public door (the local edge) as an attacker tries it: the internal endpoints behind an
 * encoding, function names that are not functions, and a readiness that is nobody's business.
 * Each request is answered with a refusal, and nothing behind the edge sees it.
 */
let db: TestDatabase;
const redis = createTestRedisPrefix();
let catalog: RunningFunction;
const servers: http.Server[] = [];
/** What reached process-payment (a recording server stands in for it: the test is about the edge). */
const paymentRequests: string[] = [];
let edge: string;

async function listen(server: http.Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

beforeAll(async () => {
  db = await createTestDatabase();
  catalog = createFunction(renderCatalog, testEnv(db, redis.prefix), captureLogs().stream);
  await catalog.start();
  const payment = await listen(
    http.createServer((req, res) => {
      paymentRequests.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ready":true}');
    }),
  );
  edge = await listen(
    createEdge({
      routes: loadRoutes(),
      functions: { 'render-catalog': `http://127.0.0.1:${catalog.server.info.port}`, 'process-payment': payment },
      log: createLogger({ name: 'edge' }, captureLogs().stream),
    }),
  );
});
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  await catalog?.stop();
  await db.drop();
  await redis.clean();
});

/** A request with its path exactly as given (fetch would resolve dot segments before sending). */
function send(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body = '',
): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(edge);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: hostname,
        port,
        method,
        path,
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function handledEvents(): Promise<string[]> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  const { rows } = await client.query('SELECT event_id FROM render_catalog.inbox ORDER BY event_id');
  await client.end();
  return rows.map((r) => r.event_id);
}

describe('the local edge, as an attacker tries it', () => {
  it('never lets an event in, however /events is spelled', async () => {
    const spellings = [
      '/%65vents',
      '/%65%76%65%6E%74%73',
      '/ev%65nts/',
      '/%2e/events',
      '//events',
      '/x/%2e%2e/events',
      '/checkout/..%2fevents',
      '/events%0a',
      '/%2Fevents',
    ];
    for (const [i, path] of spellings.entries()) {
      const event = HTTP.binary(
        new CloudEvent({
          id: `forged-${i}`,
          type: 'premiere.catalog.changed',
          source: '/premiere/render-catalog',
          data: {},
        }),
      );
      const res = await send('POST', path, event.headers as Record<string, string>, event.body as string);
      expect([path, res.status]).toEqual([path, 404]);
    }
    expect(await handledEvents()).toEqual([]);
  });

  it('never shows a function’s metrics, however /metrics is spelled', async () => {
    for (const path of [
      '/metric%73',
      '/%6detrics',
      '/./metrics',
      '/metrics/',
      '//metrics',
      '/waiting-room/%2e%2e/metrics',
      '/checkout/x/..%2F..%2Fmetrics',
    ]) {
      const res = await send('GET', path);
      expect([path, res.status, res.body.includes('premiere_http_request_duration_seconds')]).toEqual([
        path,
        404,
        false,
      ]);
    }
  });

  it('answers 404 for a health check of a name that is no function, and keeps answering', async () => {
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__']) {
      const res = await send('GET', `/_health/${name}`);
      expect([name, res.status]).toEqual([name, 404]);
    }
    expect((await fetch(`${edge}/_health/render-catalog`)).status).toBe(200);
  });

  it('does not expose the readiness of process-payment, which has no public route', async () => {
    const res = await fetch(`${edge}/_health/process-payment`);
    expect(res.status).toBe(404);
    expect(paymentRequests).toEqual([]);
  });
});
