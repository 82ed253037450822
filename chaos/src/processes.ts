import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';

/** What a local stack's stack.json says (the parts chaos reads; newer stacks add `processes`). */
export interface StackState {
  edge: string;
  broker?: string;
  functions: Record<string, string>;
  simulators: Record<string, string>;
  backing?: { postgres?: string; redis?: string };
  /** Each part's process id, kept up to date across restarts (`npm start` from issue 14 on). */
  processes?: Record<string, number>;
  supervisor?: number;
  pids?: number[];
  dirs?: string[];
}

export function readState(stateDir: string): StackState {
  const file = path.join(stateDir, 'stack.json');
  if (!existsSync(file)) throw new Error(`no ${file}: is a local stack running from that folder?`);
  const state = JSON.parse(readFileSync(file, 'utf8')) as StackState;
  if (!state.edge) throw new Error(`${file} says the stack is still starting`);
  return state;
}

export const portOf = (url: string) => Number(new URL(url).port);

/** Where each part of the stack answers (the port its process listens on), by the names of stack.json's `processes`. */
export function partPorts(state: StackState): Record<string, number> {
  const ports: Record<string, number> = { edge: portOf(state.edge) };
  if (state.broker) ports.broker = portOf(state.broker);
  for (const [name, url] of Object.entries({ ...state.functions, ...state.simulators })) ports[name] = portOf(url);
  if (state.backing?.redis) ports.redis = portOf(state.backing.redis);
  if (state.backing?.postgres) ports.postgres = portOf(state.backing.postgres);
  return ports;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The socket inodes listening on `port` (IPv4 and IPv6), from /proc/net. */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is ADDR:PORT in hex; state 0A is LISTEN; the inode is the tenth field.
      if (f.length > 9 && f[3] === '0A' && parseInt(f[1].split(':')[1], 16) === port) inodes.add(f[9]);
    }
  }
  return inodes;
}

/**
 * The process listening on `port` on this machine (null: nobody, or /proc unreadable): how chaos
 * finds a part's process when stack.json has no `processes` (stacks before issue 14), and how it
 * tells that a part came back (another process listens again).
 */
export function listenerPid(port: number): number | null {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return null;
  const wanted = new Set([...inodes].map((i) => `socket:[${i}]`));
  let found: number | null = null;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (wanted.has(readlinkSync(`/proc/${entry}/fd/${fd}`))) {
          // Children may inherit the socket (PostgreSQL's backends): the parent-most holder is the part.
          const pid = Number(entry);
          if (found === null || pid < found) found = pid;
          break;
        }
      } catch {
        /* gone meanwhile */
      }
    }
  }
  return found;
}

/** A part's process now: stack.json's `processes` when the stack keeps it, else whoever listens on its port. */
export function pidOf(
  stateDir: string | undefined,
  part: string,
  port: number | undefined,
): { pid: number | null; from: 'processes' | 'port' } {
  if (stateDir) {
    try {
      const pid = readState(stateDir).processes?.[part];
      if (pid && isAlive(pid)) return { pid, from: 'processes' };
    } catch {
      /* no stack.json now: fall back on the port */
    }
  }
  return { pid: port ? listenerPid(port) : null, from: 'port' };
}

/** How a process was started, read before killing it, to start it again if nobody else does. */
export interface Launch {
  argv: string[];
  cwd: string;
  uid: number;
  gid: number;
}

export function launchOf(pid: number): Launch | null {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
    const gid = Number(/^Gid:\s+(\d+)/m.exec(status)?.[1]);
    return { argv, cwd: readlinkSync(`/proc/${pid}/cwd`), uid, gid };
  } catch {
    return null;
  }
}

/** Starts a process again as it was started (same user, folder, arguments), detached; its pid (null: it could not start). */
export function relaunch(launch: Launch): number | null {
  const child = spawn(launch.argv[0], launch.argv.slice(1), {
    cwd: launch.cwd,
    uid: launch.uid,
    gid: launch.gid,
    detached: true,
    stdio: 'ignore',
  });
  child.on('error', () => undefined); // reported as "could not start it again" by the caller
  child.unref();
  return child.pid ?? null;
}

/** Whether `pid` runs one of a local stack's programs (never kill a process that reused a pid). */
export function isOurs(pid: number, root = path.resolve(__dirname, '../..')): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes(root) || cmdline.includes('redis-server') || cmdline.includes('premiere-pg-');
  } catch {
    return false;
  }
}
