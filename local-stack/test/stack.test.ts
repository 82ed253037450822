import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { eventually } from '@premiere/runtime/testing';
import { freePort } from '../src/backing';

const ROOT = path.resolve(__dirname, '../..');
const FUNCTIONS = ['issue-token', 'admit-batch', 'reserve-seat', 'process-payment', 'render-catalog'];

function alive(pid: number) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm start (the local stack)', () => {
  it('comes up with embedded PostgreSQL and Redis, every function ready through the edge, and Ctrl-C leaves no process', async () => {
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'premiere-stack-'));
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, PREMIERE_PORT: String(port), PREMIERE_STATE_DIR: stateDir, LOG_LEVEL: 'warn' };
    delete env.DATABASE_URL; // the defaults: an embedded PostgreSQL and a redis-server from PATH
    delete env.REDIS_URL;
    const stack = spawn(process.execPath, [path.join(ROOT, 'local-stack/dist/main.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    stack.stdout!.on('data', (c) => (output += c));
    stack.stderr!.on('data', (c) => (output += c));
    const exited = new Promise<number | null>((resolve) => stack.once('exit', (code) => resolve(code)));

    const stateFile = path.join(stateDir, 'stack.json');
    const state = await eventually(() => {
      if (!existsSync(stateFile)) return null;
      const s = JSON.parse(readFileSync(stateFile, 'utf8'));
      return s.edge ? s : null;
    }, 90_000, 200).catch((err) => {
      throw new Error(`${err.message}\n${output}`);
    });

    expect(Object.keys(state.functions).sort()).toEqual([...FUNCTIONS].sort());
    expect(Object.keys(state.simulators).sort()).toEqual(['legacy-cinema', 'payment-provider']);
    expect(output).toContain('premiere is running');
    for (const fn of FUNCTIONS) {
      const res = await fetch(`${state.edge}/_health/${fn}`);
      expect([fn, res.status]).toEqual([fn, 200]);
    }
    expect((await fetch(`${state.edge}/events`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${state.broker}/healthz`)).status).toBe(200);

    // Migrated, with the demo catalog: a premiere in a small room.
    const db = new pg.Client({ connectionString: state.backing.postgres });
    await db.connect();
    const { rows } = await db.query(`SELECT count(*)::int AS seats FROM render_catalog.shows s JOIN render_catalog.seats t ON t.room_id = s.room_id WHERE s.id = 'last-starfall-premiere'`);
    await db.end();
    expect(rows[0].seats).toBe(24);
    const seats = await (await fetch(`${state.simulators['legacy-cinema']}/shows/last-starfall-premiere/seats`)).json();
    expect(seats.seats).toHaveLength(24);

    const pids: number[] = JSON.parse(readFileSync(stateFile, 'utf8')).pids;
    expect(pids.length).toBeGreaterThanOrEqual(9); // postgres, redis, 2 simulators, 5 functions
    expect(pids.every(alive)).toBe(true);

    stack.kill('SIGINT');
    expect(await exited).toBe(0);
    await eventually(() => pids.every((pid) => !alive(pid)), 10_000);
    expect(existsSync(stateFile)).toBe(false);
  }, 120_000);
});
