import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** Where the crowd goes and what it may look at besides the edge. */
export interface Target {
  edge: string;
  /** The legacy simulator's `/stats` (its concurrency and busy time), when reachable. */
  legacyStats?: string;
  /** The operators' API token, for the queue's length and the zone's occupancy. */
  adminToken?: string;
  /** The token signing keys (JSON), for the naive design's access tokens. */
  signingKeys?: string;
  stop(): Promise<void>;
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.once('error', reject);
  });

/** The local stack already running from this checkout (`npm start`), if any. */
export function runningStack(stateDir = path.join(ROOT, '.premiere')): Target | null {
  const file = path.join(stateDir, 'stack.json');
  if (!existsSync(file)) return null;
  const state = JSON.parse(readFileSync(file, 'utf8'));
  if (!state.edge) return null;
  const secrets = JSON.parse(readFileSync(path.join(stateDir, 'secrets.json'), 'utf8'));
  return { edge: state.edge, legacyStats: `${state.simulators['legacy-cinema']}/stats`, adminToken: secrets.ADMIN_TOKEN, signingKeys: secrets.TOKEN_SIGNING_KEYS, stop: async () => undefined };
}

/**
 * A local stack of the burst's own (`npm start`'s program, in a temporary state folder), with the
 * settings a crowd from one address needs, and `env` on top (the naive design's, say).
 */
export async function startStack(env: Record<string, string>, log: (line: string) => void): Promise<Target> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(env, log);
    } catch (err) {
      // The edge's port was free when picked, and taken (by one of the stack's own processes) since.
      if (attempt >= 3 || !/is in use/.test((err as Error).message)) throw err;
      log('the port picked for the edge was taken meanwhile; starting again on another');
    }
  }
}

async function startOnce(env: Record<string, string>, log: (line: string) => void): Promise<Target> {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'premiere-burst-'));
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [path.join(ROOT, 'local-stack/dist/main.js')], {
    env: {
      ...process.env,
      PREMIERE_PORT: String(port),
      PREMIERE_STATE_DIR: stateDir,
      LOG_LEVEL: 'warn',
      // Every visitor comes from this machine's one address.
      JOIN_RATE_PER_ADDRESS: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c) => (output += c));
  child.stderr!.on('data', (c) => (output += c));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 120_000;
  for (;;) {
    const target = existsSync(path.join(stateDir, 'stack.json')) ? runningStack(stateDir) : null;
    if (target && JSON.parse(readFileSync(path.join(stateDir, 'stack.json'), 'utf8')).supervisor === child.pid) {
      log(`local stack up at ${target.edge}`);
      return {
        ...target,
        stop: async () => {
          child.kill('SIGINT');
          await exited;
          rmSync(stateDir, { recursive: true, force: true });
        },
      };
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      rmSync(stateDir, { recursive: true, force: true });
      throw new Error(`the local stack did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
