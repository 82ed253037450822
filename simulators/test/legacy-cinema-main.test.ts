import { spawn } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import {
  createTestDatabase,
  eventually,
  type TestDatabase,
  loadDemoCatalog,
  PREMIERE_SHOW_ID,
} from '@premiere/testing';
import { freePort } from '@premiere/local-stack/backing';

// The simulator as `npm start` runs it: a PostgreSQL connection that dies while idle (the database
// restarted, or killed) must not take the simulator, and the holds it keeps in memory, with it.

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  await loadDemoCatalog(db.url);
});
afterAll(() => db.drop());

it('outlives its database connections dying while idle', async () => {
  const port = await freePort();
  const child = spawn(process.execPath, [path.resolve(__dirname, '../dist/legacy-cinema-main.js')], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: db.url,
      LOG_LEVEL: 'warn',
      PGAPPNAME: 'legacy-cinema-under-test',
    },
    stdio: 'ignore',
  });
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  try {
    const url = `http://127.0.0.1:${port}`;
    await eventually(
      async () => (await fetch(`${url}/shows/${PREMIERE_SHOW_ID}/seats`).catch(() => null))?.ok === true,
      15_000,
    );
    // Its idle connections are killed, as a PostgreSQL restart does.
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    const { rows } = await admin.query(
      "SELECT pg_terminate_backend(pid) AS gone FROM pg_stat_activity WHERE application_name = 'legacy-cinema-under-test'",
    );
    await admin.end();
    expect(rows.length).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 500));
    expect(child.exitCode).toBeNull();
    expect((await fetch(`${url}/stats`)).ok).toBe(true);
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
});
