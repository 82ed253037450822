import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { eventually } from '@premiere/runtime/testing';

const ROOT = path.resolve(__dirname, '../..');

/** `npm start` as a user runs it: embedded PostgreSQL, a redis-server from PATH, its state in `stateDir`. */
export function startStack(stateDir: string, port: number) {
  const env: NodeJS.ProcessEnv = { ...process.env, PREMIERE_PORT: String(port), PREMIERE_STATE_DIR: stateDir, LOG_LEVEL: 'warn' };
  delete env.DATABASE_URL; // the defaults: an embedded PostgreSQL and a redis-server from PATH
  delete env.REDIS_URL;
  const child = spawn(process.execPath, [path.join(ROOT, 'local-stack/dist/main.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const run = { child, output: '', exited: new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code))) };
  child.stdout!.on('data', (c) => (run.output += c));
  child.stderr!.on('data', (c) => (run.output += c));
  return run;
}

/** The stack's state file once this run of it is up (its edge, broker, functions, simulators, backing services). */
export async function whenUp(stateFile: string, run: ReturnType<typeof startStack>) {
  return eventually(() => {
    if (!existsSync(stateFile)) return null;
    const s = JSON.parse(readFileSync(stateFile, 'utf8'));
    return s.edge && s.supervisor === run.child.pid ? s : null;
  }, 90_000, 200).catch((err) => {
    throw new Error(`${err.message}\n${run.output}`);
  });
}
