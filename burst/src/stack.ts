import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@premiere/local-stack/backing';
import { spawnStack, whenUp } from '@premiere/local-stack/spawn';

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
  /** A local stack's state folder (its stack.json, secrets.json). */
  stateDir?: string;
  stop(): Promise<void>;
}

/**
 * The settings a crowd from this machine's one address needs: every per-address limit of the
 * waiting room off (joins per address, the live tokens one address may hold, new tokens per
 * address), as a deployment would never have them for real visitors.
 */
export const ONE_ADDRESS_CROWD: Record<string, string> = {
  JOIN_RATE_PER_ADDRESS: '0',
  ADDRESS_TOKEN_CAP_MIN: '0',
  ADDRESS_TOKEN_CAP_SHARE: '0',
  ADDRESS_NEW_TOKEN_RATE: '0',
  ADDRESS_HELD_SEATS_SHARE: '0',
};

/** The local stack already running from this checkout (`npm start`), if any. */
export function runningStack(stateDir = path.join(ROOT, '.premiere')): Target | null {
  const file = path.join(stateDir, 'stack.json');
  if (!existsSync(file)) return null;
  const state = JSON.parse(readFileSync(file, 'utf8'));
  if (!state.edge) return null;
  const secrets = JSON.parse(readFileSync(path.join(stateDir, 'secrets.json'), 'utf8'));
  return {
    edge: state.edge,
    legacyStats: `${state.simulators['legacy-cinema']}/stats`,
    adminToken: secrets.ADMIN_TOKEN,
    signingKeys: secrets.TOKEN_SIGNING_KEYS,
    stateDir,
    stop: async () => undefined,
  };
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
  // Every visitor comes from this machine's one address.
  const run = spawnStack(stateDir, await freePort(), { ...process.env, ...ONE_ADDRESS_CROWD, ...env });
  try {
    await whenUp(run);
  } catch (err) {
    run.child.kill('SIGKILL');
    rmSync(stateDir, { recursive: true, force: true });
    throw err;
  }
  const target = runningStack(stateDir)!;
  log(`local stack up at ${target.edge}`);
  return {
    ...target,
    stop: async () => {
      run.child.kill('SIGINT');
      await run.exited;
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
