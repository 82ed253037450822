import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { listFunctions, migrate, planMigrations } from '@premiere/runtime';
import { createTestDatabase, type TestDatabase } from '@premiere/testing';

const databases: TestDatabase[] = [];
afterAll(async () => {
  await Promise.all(databases.map((d) => d.drop()));
});
async function freshDatabase() {
  const db = await createTestDatabase({ migrated: false });
  databases.push(db);
  return db;
}
async function query(url: string, text: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text)).rows;
  } finally {
    await c.end();
  }
}

describe('migrations', () => {
  it('gives every function its own schema with the outbox and inbox, and the catalog to render-catalog', async () => {
    expect(listFunctions()).toEqual([
      'admit-batch',
      'issue-token',
      'process-payment',
      'render-catalog',
      'reserve-seat',
    ]);
    const db = await freshDatabase();
    await migrate(db.url);
    const tables = await query(
      db.url,
      `SELECT table_schema || '.' || table_name AS t FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`,
    );
    const names = tables.map((r) => r.t);
    for (const schema of ['admit_batch', 'issue_token', 'process_payment', 'render_catalog', 'reserve_seat']) {
      expect(names).toEqual(expect.arrayContaining([`${schema}.outbox`, `${schema}.inbox`]));
    }
    expect(names).toEqual(
      expect.arrayContaining(['render_catalog.shows', 'render_catalog.seats', 'render_catalog.movies']),
    );
  });

  it('is idempotent and safe when several run at once', async () => {
    const db = await freshDatabase();
    const runs = await Promise.all([migrate(db.url), migrate(db.url), migrate(db.url)]);
    const applied = runs.map((r) => r.length).sort((a, b) => a - b);
    expect(applied).toEqual([0, 0, planMigrations().length]);
    expect(await migrate(db.url)).toEqual([]);
    const rows = await query(db.url, 'SELECT count(*)::int AS n FROM public.premiere_migrations');
    expect(rows[0].n).toBe(planMigrations().length);
  });

  it('refuses to go on when an applied migration was edited, and rolls back a failing one', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'premiere-migrations-'));
    mkdirSync(path.join(dir, 'demo-fn', 'migrations'), { recursive: true });
    writeFileSync(path.join(dir, 'demo-fn', 'package.json'), '{}');
    const file = path.join(dir, 'demo-fn', 'migrations', '001_things.sql');
    writeFileSync(file, 'CREATE TABLE things (id int);');
    const db = await freshDatabase();
    expect(await migrate(db.url, { functionsDir: dir })).toEqual([
      'demo_fn: runtime/001_outbox_inbox.sql',
      'demo_fn: runtime/002_outbox_verbatim.sql',
      'demo_fn: demo-fn/001_things.sql',
    ]);

    writeFileSync(file, 'CREATE TABLE things (id bigint);');
    await expect(migrate(db.url, { functionsDir: dir })).rejects.toThrow(
      'demo-fn/001_things.sql was changed after it was applied to schema demo_fn; add a new migration instead',
    );

    writeFileSync(file, 'CREATE TABLE things (id int);');
    writeFileSync(
      path.join(dir, 'demo-fn', 'migrations', '002_broken.sql'),
      'CREATE TABLE more (id int); SELECT no_such_column FROM things;',
    );
    await expect(migrate(db.url, { functionsDir: dir })).rejects.toThrow(
      /migration demo-fn\/002_broken.sql \(schema demo_fn\) failed: column "no_such_column" does not exist/,
    );
    expect(await query(db.url, "SELECT to_regclass('demo_fn.more') AS t")).toEqual([{ t: null }]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('npm run migrate waits for a database that is not up yet, then migrates it', async () => {
    const db = await freshDatabase();
    const cli = path.resolve(__dirname, '../dist/migrate-cli.js');
    // Nothing listens on port 1: it gives up after MIGRATE_WAIT_SECONDS with the reason.
    const down = spawnSync(process.execPath, [cli], {
      env: { ...process.env, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/x', MIGRATE_WAIT_SECONDS: '2' },
      encoding: 'utf8',
    });
    expect(down.status).toBe(1);
    expect(down.stdout).toContain('migrate: waiting for the database (ECONNREFUSED)');
    expect(down.stderr).toMatch(/^migrate: connect ECONNREFUSED 127.0.0.1:1/);

    const run = spawn(process.execPath, [cli], {
      env: { ...process.env, DATABASE_URL: db.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    run.stdout!.on('data', (c) => (out += c));
    expect(await new Promise((r) => run.once('exit', r))).toBe(0);
    expect(out).toContain(`migrate: ${planMigrations().length} migration(s) applied`);
  });
});
