import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import {
  createTestDatabase,
  createTestRedisPrefix,
  eventually,
  testEnv,
  type TestDatabase,
  loadDemoCatalog,
} from '@premiere/testing';

/**
 * Counted at the database: how many times the catalog tables were read (PostgreSQL's own
 * statistics, flushed when the functions' connections close).
 */
let db: TestDatabase;
const redis = createTestRedisPrefix();
const children: ChildProcess[] = [];
beforeAll(async () => {
  db = await createTestDatabase();
  await loadDemoCatalog(db.url);
});
afterAll(async () => {
  // A failed expectation leaves its processes running: they must not keep jest (and CI) waiting.
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await db.drop();
  await redis.clean();
});

async function startProcess(prefix: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [path.resolve(__dirname, '../dist/main.js')], {
    env: { ...process.env, ...testEnv(db, prefix, { CATALOG_MEMORY_MS: '0', LOG_LEVEL: 'info' }) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (c) => (out += c));
  const port = await eventually(() => /"port":(\d+)/.exec(out)?.[1], 10_000);
  return { child, url: `http://127.0.0.1:${port}` };
}
const stop = (p: { child: ChildProcess }) => new Promise((r) => (p.child.once('exit', r), p.child.kill('SIGTERM')));

/** Reads of render_catalog.movies so far, once every connection that read it has closed. */
async function movieReads(): Promise<number> {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    let last = -1;
    // Closing backends flush their statistics; wait until the figure stops moving.
    for (;;) {
      await c.query('SELECT pg_stat_clear_snapshot()');
      const { rows } = await c.query(
        `SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) AS n FROM pg_stat_user_tables WHERE schemaname = 'render_catalog' AND relname = 'movies'`,
      );
      const n = Number(rows[0].n);
      if (n === last) return n;
      last = n;
      await new Promise((r) => setTimeout(r, 300));
    }
  } finally {
    await c.end();
  }
}

describe('render-catalog single flight, counted at the database', () => {
  it('renders a burst of 200 concurrent misses from two processes once, and answers 304s without reading it', async () => {
    // What one render of the page reads (with a cache of its own).
    const before = await movieReads();
    const one = await startProcess(`${redis.prefix}alone:`);
    expect((await fetch(`${one.url}/movies/last-starfall`)).status).toBe(200);
    await stop(one);
    const perRender = (await movieReads()) - before;
    expect(perRender).toBeGreaterThan(0);

    // 200 misses at once for the same page, from two processes sharing a cold cache.
    const a = await startProcess(`${redis.prefix}shared:`);
    const b = await startProcess(`${redis.prefix}shared:`);
    const start = await movieReads();
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) => fetch(`${(i % 2 ? a : b).url}/movies/last-starfall`)),
    );
    expect(answers.every((r) => r.status === 200)).toBe(true);
    const etags = new Set(answers.map((r) => r.headers.get('etag')));
    expect(etags.size).toBe(1);

    // And conditional requests for it: 304, nothing read.
    const etag = [...etags][0]!;
    const conditional = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        fetch(`${(i % 2 ? a : b).url}/movies/last-starfall`, { headers: { 'if-none-match': etag } }),
      ),
    );
    expect(conditional.every((r) => r.status === 304)).toBe(true);

    const metrics = await Promise.all([a, b].map(async (p) => (await fetch(`${p.url}/metrics`)).text()));
    const renders = metrics
      .map((t) => Number(/premiere_catalog_render_seconds_count (\d+)/.exec(t)?.[1] ?? 0))
      .reduce((x, y) => x + y, 0);
    expect(renders).toBe(1);
    await Promise.all([stop(a), stop(b)]);
    expect((await movieReads()) - start).toBe(perRender);
  }, 60_000);
});
