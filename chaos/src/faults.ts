import { Redis } from 'ioredis';
import pg from 'pg';
import { loadRoutes } from '@premiere/local-stack/declarations';
import { findOnPath } from '@premiere/local-stack/backing';
import { isAlive, launchOf, listenerPid, pidOf, readState, relaunch, type Launch, type StackState } from './processes';
import type { FaultRecord } from './summary';
import { sleep } from './crowd';

/** One fault: kill -9 a part, FLUSHALL then kill -9 Redis (it comes back empty), or SIGTERM a function under load. */
export interface Fault {
  /** How it is named on the command line (--faults) and in the summary. */
  key: string;
  name: string;
  part: string;
  kind: 'kill' | 'flush-kill' | 'term';
}

/**
 * The faults, in the order they are made: each function, SIGTERM under load, the edge, Redis with
 * and without its data, PostgreSQL, the broker. The broker comes last: on a stack whose broker
 * shares the supervisor's process (before issue 14), killing it stops every restart after it.
 */
export function allFaults(functions: string[], sigterm: string): Fault[] {
  return [
    ...functions.map((fn): Fault => ({ key: fn, name: `kill -9 ${fn}`, part: fn, kind: 'kill' })),
    { key: 'sigterm', name: `SIGTERM ${sigterm} under load`, part: sigterm, kind: 'term' },
    { key: 'edge', name: 'kill -9 edge', part: 'edge', kind: 'kill' },
    { key: 'redis', name: 'kill -9 redis (data kept)', part: 'redis', kind: 'kill' },
    { key: 'redis-empty', name: 'kill -9 redis (data lost: FLUSHALL first)', part: 'redis', kind: 'flush-kill' },
    { key: 'postgres', name: 'kill -9 postgres', part: 'postgres', kind: 'kill' },
    { key: 'broker', name: 'kill -9 broker', part: 'broker', kind: 'kill' },
  ];
}

/** The faults `--faults a,b,c` picks, in the standard order; unknown names refused, saying which exist. */
export function pickFaults(all: Fault[], wanted: string | undefined): Fault[] {
  if (!wanted || wanted === 'all') return all;
  const keys = wanted
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  const unknown = keys.filter((k) => !all.some((f) => f.key === k));
  if (unknown.length)
    throw new Error(`--faults: no fault ${unknown.join(', ')} (there are ${all.map((f) => f.key).join(', ')})`);
  return all.filter((f) => keys.includes(f.key));
}

export interface FaultContext {
  state: StackState;
  stateDir: string;
  ports: Record<string, number>;
  now(): number;
  recoveryTimeoutMs: number;
  log(line: string): void;
  /** The fault in progress, for the live view. */
  current(name: string | null): void;
  /** SIGTERM under load: sends the volley and says, once every request is answered, how many failed. */
  volley(part: string): { settled: Promise<{ inFlight: number; dropped: number }> };
  /** Processes chaos started itself (a part the supervisor did not start again): stopped at the end. */
  standIns: number[];
  /**
   * Whether the show's waiting room is whole again: after Redis lost its data it is rebuilt and
   * holds still while its visitors come back (RECOVERY_GRACE_SECONDS), part of that fault's window.
   */
  roomRecovered(): Promise<boolean>;
}

async function ok(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1_500) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * How Redis was started, from its own configuration (redis-server renames its process, so its
 * command line does not tell): the same port, folder and persistence when started again.
 */
async function redisLaunch(url: string, pid: number): Promise<Launch | null> {
  const seen = launchOf(pid);
  if (!seen) return null;
  const redis = new Redis(url, { maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1_500 });
  redis.on('error', () => undefined);
  try {
    const args: string[] = [];
    for (const key of [
      'port',
      'bind',
      'dir',
      'save',
      'appendonly',
      'appendfsync',
      'appendfilename',
      'appenddirname',
      'dbfilename',
    ]) {
      const [, value] = (await redis.config('GET', key)) as string[];
      if (value !== undefined) args.push(`--${key}`, value);
    }
    return { ...seen, argv: [findOnPath('redis-server') ?? 'redis-server', ...args] };
  } catch {
    return null;
  } finally {
    redis.disconnect();
  }
}

/** Whether a part answers as it should: a function ready, the edge's own health, the broker, Redis, PostgreSQL. */
export async function healthy(state: StackState, part: string): Promise<boolean> {
  if (state.functions[part]) return ok(`${state.functions[part]}/readyz`);
  if (state.simulators[part]) return ok(`${state.simulators[part]}/healthz`);
  if (part === 'edge') return ok(`${state.edge}${loadRoutes().edgeHealth}`);
  if (part === 'broker') return state.broker ? ok(`${state.broker}/healthz`) : false;
  if (part === 'redis' && state.backing?.redis) {
    const redis = new Redis(state.backing.redis, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectTimeout: 1_500,
    });
    redis.on('error', () => undefined);
    try {
      await redis.connect();
      return (await redis.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      redis.disconnect();
    }
  }
  if (part === 'postgres' && state.backing?.postgres) {
    const client = new pg.Client({ connectionString: state.backing.postgres, connectionTimeoutMillis: 1_500 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  return false;
}

/** Every function ready (Redis and PostgreSQL reached again), and the edge and the broker up. */
async function allHealthy(state: StackState): Promise<boolean> {
  const parts = [...Object.keys(state.functions), 'edge', ...(state.broker ? ['broker'] : [])];
  return (await Promise.all(parts.map((p) => healthy(state, p)))).every(Boolean);
}

/** A part is back: another process than the one hurt listens on its port (or stack.json names one), and the whole stack answers. */
async function back(ctx: FaultContext, fault: Fault, oldPid: number): Promise<boolean> {
  const now = pidOf(ctx.stateDir, fault.part, ctx.ports[fault.part]).pid;
  if (now === null || now === oldPid) return false;
  return (await allHealthy(ctx.state)) && (fault.kind !== 'flush-kill' || (await ctx.roomRecovered()));
}

/** Each part's process now (null: none found), by the part's name. */
function partPids(ctx: FaultContext): Record<string, number | null> {
  return Object.fromEntries(
    Object.entries(ctx.ports).map(([part, port]) => [part, pidOf(ctx.stateDir, part, port).pid]),
  );
}

/**
 * The parts besides `hurt` whose process is not the one before the fault (another, or none): they
 * died meanwhile, which the supervisor's restart would otherwise hide behind the fault's window.
 */
export function restartedBesides(
  before: Record<string, number | null>,
  after: Record<string, number | null>,
  hurt: string,
): string[] {
  return Object.keys(before)
    .filter((part) => part !== hurt && before[part] !== null && after[part] !== before[part])
    .sort();
}

/** Whether the stack (or chaos, in its place) started `pid` (stack.json's pids, processes or supervisor): never kill a database it was only given, or a stranger on a reused port. */
function ownedBy(ctx: FaultContext, pid: number): boolean {
  let state = ctx.state;
  try {
    state = readState(ctx.stateDir);
  } catch {
    /* what was read at the start */
  }
  return (
    pid === state.supervisor ||
    (state.pids ?? []).includes(pid) ||
    Object.values(state.processes ?? {}).includes(pid) ||
    ctx.standIns.includes(pid)
  );
}

async function until(check: () => Promise<boolean>, deadline: number): Promise<boolean> {
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(250);
  }
  return false;
}

/**
 * Makes one fault and waits for the stack to come back (the part restarted, every function ready),
 * at most the recovery timeout. A part the supervisor does not start again is reported (the run
 * fails); Redis and PostgreSQL are then started again by chaos, as they were, so the faults after
 * it still mean something.
 */
export async function makeFault(ctx: FaultContext, fault: Fault): Promise<FaultRecord> {
  const { pid, from } = pidOf(ctx.stateDir, fault.part, ctx.ports[fault.part]);
  const start = ctx.now();
  const before = partPids(ctx);
  const record = (end: number, recovered: number | null, note?: string): FaultRecord => {
    const restarted = restartedBesides(before, partPids(ctx), fault.part);
    return {
      name: fault.name,
      start_ms: start,
      end_ms: end,
      recovered_ms: recovered,
      errors_5xx: 0,
      ...(note ? { note } : {}),
      ...(restarted.length ? { restarted } : {}),
    };
  };
  if (pid === null)
    return record(
      start,
      null,
      `no process of ${fault.part} found (stack.json has no processes entry for it and nothing listens on port ${ctx.ports[fault.part]})`,
    );
  if (!ownedBy(ctx, pid))
    return record(
      start,
      null,
      `${fault.part}'s process (pid ${pid}) is not one the stack started (a Redis or PostgreSQL given by URL?): chaos kills only the stack's own`,
    );
  const supervisor = ctx.state.supervisor;
  const sharesSupervisor = supervisor !== undefined && pid === supervisor;
  const launch = fault.part === 'redis' ? await redisLaunch(ctx.state.backing!.redis!, pid) : launchOf(pid);
  ctx.current(fault.name);
  ctx.log(
    `${fault.name} (pid ${pid}, from ${from === 'processes' ? 'stack.json' : `the process on port ${ctx.ports[fault.part]}`}${sharesSupervisor ? ': the supervisor’s own process' : ''})`,
  );
  let volley: Promise<{ inFlight: number; dropped: number }> | undefined;
  try {
    if (fault.kind === 'flush-kill') {
      const redis = new Redis(ctx.state.backing!.redis!, { maxRetriesPerRequest: 0, retryStrategy: () => null });
      redis.on('error', () => undefined);
      await redis.flushall();
      redis.disconnect();
    }
    if (fault.kind === 'term') {
      volley = ctx.volley(fault.part).settled;
      await sleep(250); // the volley in flight, as in the issue's measurement
      process.kill(pid, 'SIGTERM');
    } else {
      process.kill(pid, 'SIGKILL');
    }
  } catch (err) {
    ctx.current(null);
    return record(ctx.now(), null, `could not make the fault: ${(err as Error).message}`);
  }
  const deadline = Date.now() + ctx.recoveryTimeoutMs;
  const recovered = await until(() => back(ctx, fault, pid), deadline);
  const drained = volley ? await volley : undefined;
  const withVolley = (r: FaultRecord) =>
    drained ? { ...r, in_flight: drained.inFlight, dropped: drained.dropped } : r;
  if (recovered) {
    ctx.current(null);
    const end = ctx.now();
    const done = withVolley(record(end, end - start));
    ctx.log(
      `${fault.name}: recovered in ${((end - start) / 1000).toFixed(1)} s${done.restarted ? `; ${done.restarted.join(', ')} died meanwhile` : ''}`,
    );
    return done;
  }
  const gaveUp = ctx.now();
  let note = `${fault.part} not back within ${ctx.recoveryTimeoutMs / 1000} s`;
  if (sharesSupervisor)
    note +=
      ' (the broker runs in the supervisor’s process: stack.json has no processes entry; nothing is restarted after this)';
  const stillDown = !isAlive(pid) && listenerPid(ctx.ports[fault.part]) === null;
  if (stillDown && launch && (fault.part === 'redis' || fault.part === 'postgres')) {
    const standInPid = relaunch(launch);
    if (standInPid !== null) ctx.standIns.push(standInPid);
    const standIn =
      standInPid !== null && (await until(() => back(ctx, fault, pid), Date.now() + ctx.recoveryTimeoutMs));
    note += standIn
      ? `; not restarted by the supervisor, so chaos started it again (back ${((ctx.now() - start) / 1000).toFixed(1)} s after the fault) to go on`
      : '; chaos could not start it again either';
  }
  ctx.current(null);
  ctx.log(`${fault.name}: ${note}`);
  return withVolley(record(Math.max(gaveUp, ctx.now()), null, note));
}
