import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { Observer } from '@premiere/burst/observer';
import { Recorder } from '@premiere/burst/recorder';
import { runningStack, startStack, type Target } from '@premiere/burst/stack';
import { visitor, type Behaviour, type Crowd } from '@premiere/burst/visitor';
import { loadEventing } from '@premiere/local-stack/declarations';
import { ChaosClient, sleep } from './crowd';
import { allFaults, makeFault, pickFaults, type Fault, type FaultContext } from './faults';
import * as check from './invariants';
import type { DeadLetterSeen, LegacyHold, ProviderPayment } from './invariants';
import { isAlive, isOurs, listenerPid, partPorts, readState, type StackState } from './processes';
import { failures, summary, type Checked, type FaultRecord, type Findings } from './summary';
import { readOptions } from '@premiere/burst/options';

const ROOT = path.resolve(__dirname, '../..');

const USAGE = `usage: npm run chaos -- [--preset ci|full] [--faults all|KEY,KEY…] [--visitors N] [--arrive S] [--warmup S] [--gap S]
  [--recovery-timeout S] [--grace S] [--settle S] [--show ID] [--zone-capacity N] [--sigterm FUNCTION]
  [--give-up F] [--let-expire F] [--declined F] [--seats MIN-MAX] [--timeout-ms MS] [--connections N]
  [--url EDGE [--state-dir DIR] [--database-url URL] [--admin-token T]] [--dead-letters-path PATH]`;

export interface Options {
  preset: string;
  faults?: string;
  visitors: number;
  /** Seconds over which the crowd arrives (at an even pace). */
  arrive: number;
  /** Seconds of crowd before the first fault, and between one fault's recovery and the next. */
  warmup: number;
  gap: number;
  /** The longest a part may take to come back before the run says it did not. */
  recoveryTimeout: number;
  /** Seconds after a fault's window in which 5xx still count as the fault's. */
  grace: number;
  /** The longest the stack is given, after the crowd, to settle (sweeps fired) before the invariants are read. */
  settle: number;
  sigterm: string;
  zoneCapacity?: number;
  behaviour: Behaviour;
  timeoutMs: number;
  connections: number;
  url?: string;
  stateDir?: string;
  databaseUrl?: string;
  adminToken?: string;
  deadLettersPath: string;
}

export const PRESETS: Record<string, Record<string, string>> = {
  // About three minutes on a laptop, the stack's start included: every fault once, a short gap each.
  ci: { visitors: '300', arrive: '100', warmup: '8', gap: '3', 'recovery-timeout': '20', grace: '5', settle: '45' },
  // An operator's worst day at a premiere's pace: a larger crowd, longer gaps, more patience.
  full: {
    visitors: '3000',
    arrive: '300',
    warmup: '20',
    gap: '15',
    'recovery-timeout': '60',
    grace: '5',
    settle: '150',
  },
};

/**
 * What a stack of chaos's own runs with: the IMAX premiere on sale at once (280 seats), the visit
 * length the waiting room assumes measured as the burst does, short holds and payment deadlines
 * so that expiry, give-up and reconciliation all happen within the run, and frequent polls.
 */
export const OWN_STACK_ENV: Record<string, string> = {
  DEMO_SALES_OPEN_SECONDS: '0',
  ESTIMATE_VISIT_SECONDS: '7',
  HOLD_SECONDS: '45',
  PAYMENT_GIVE_UP_SECONDS: '15',
  PAYMENT_STUCK_SECONDS: '30',
  // Waiting visitors ask at least every 5 s: a forgotten place shows soon after each fault, and the crowd leaves quickly at the end.
  STATUS_POLL_MAX_SECONDS: '5',
  // Two of the longest poll intervals and a margin: a room Redis forgot is whole again soon (within the recovery timeout).
  RECOVERY_GRACE_SECONDS: '12',
};

export function parse(argv: string[], env: NodeJS.ProcessEnv = process.env): Options {
  const { given, preset, o, num, seats } = readOptions(
    argv,
    PRESETS,
    [
      'faults',
      'visitors',
      'arrive',
      'warmup',
      'gap',
      'recovery-timeout',
      'grace',
      'settle',
      'show',
      'zone-capacity',
      'sigterm',
      'give-up',
      'let-expire',
      'declined',
      'seats',
      'timeout-ms',
      'connections',
      'url',
      'state-dir',
      'database-url',
      'admin-token',
      'dead-letters-path',
    ],
    USAGE,
  );
  for (const k of ['state-dir', 'database-url', 'admin-token'])
    if (given[k] !== undefined && !o.url)
      throw new Error(`--${k} is for a stack given with --url; a stack of chaos's own is known already`);
  return {
    preset,
    faults: o.faults,
    visitors: Math.round(num('visitors', 3000, 1, 1_000_000)),
    arrive: num('arrive', 300, 1, 86_400),
    warmup: num('warmup', 20, 0, 3_600),
    gap: num('gap', 15, 0, 3_600),
    recoveryTimeout: num('recovery-timeout', 60, 1, 3_600),
    grace: num('grace', 5, 0, 3_600),
    settle: num('settle', 150, 0, 3_600),
    sigterm: o.sigterm ?? 'reserve-seat',
    zoneCapacity: o['zone-capacity'] === undefined ? undefined : Math.round(num('zone-capacity', 10, 1, 10_000)),
    behaviour: {
      show: o.show ?? 'last-starfall-paulista-imax-d1',
      flexible: 0, // alternatives would spread the crowd over shows the faults' checks do not watch more closely
      giveUp: num('give-up', 0.05, 0, 1),
      letExpire: num('let-expire', 0.05, 0, 1),
      declined: num('declined', 0.1, 0, 1),
      seats,
    },
    timeoutMs: num('timeout-ms', 15_000, 100, 120_000),
    connections: Math.round(num('connections', 256, 1, 10_000)),
    url: o.url?.replace(/\/$/, ''),
    // A running local stack's state (npm start's PREMIERE_STATE_DIR), for its processes, database and simulators.
    stateDir: path.resolve(o['state-dir'] ?? env.PREMIERE_STATE_DIR ?? path.join(ROOT, '.premiere')),
    databaseUrl: o['database-url'],
    adminToken: o['admin-token'],
    deadLettersPath: o['dead-letters-path'] ?? '/admin/api/dead-letters',
  };
}

const say = (line: string) => process.stderr.write(`chaos: ${line}\n`);

async function json<T>(url: string, init: RequestInit = {}): Promise<{ status: number; body: T | null }> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(5_000) });
  const text = await res.text();
  let body: T | null = null;
  try {
    body = text ? (JSON.parse(text) as T) : null;
  } catch {
    /* not JSON */
  }
  return { status: res.status, body };
}

/**
 * The dead letters, from the operators' API where it has them (durable, with replays), else from
 * the local broker's memory (GET /dead-letters); what each is called there varies, so read loosely.
 */
async function listDeadLetters(
  target: Target,
  state: StackState,
  apiPath: string,
): Promise<{ from: string; letters: DeadLetterSeen[] } | { unreachable: string }> {
  // admit-batch's store: {eventId, destination, type, open}; the local broker's memory: {event, subscription}.
  const asSeen = (l: any): DeadLetterSeen => ({
    key: `${l.event?.id ?? l.eventId} ${l.destination ?? l.subscription ?? ''}`,
    type: String(l.event?.type ?? l.type ?? 'unknown'),
    replayed: l.open === false,
  });
  let why = '';
  if (target.adminToken) {
    try {
      const a = await json<any>(`${target.edge}${apiPath}?state=all&limit=200`, {
        headers: { authorization: `Bearer ${target.adminToken}` },
      });
      if (a.status === 200 && a.body)
        return { from: `the operators' API (${apiPath})`, letters: (a.body.deadLetters as unknown[]).map(asSeen) };
      why = `the operators' API answered ${a.status} at ${apiPath}`;
    } catch (err) {
      why = `the operators' API: ${(err as Error).message}`;
    }
  }
  if (!state.broker) return { unreachable: `${why || 'no operators’ API token'}, and no local broker` };
  try {
    const b = await json<any[]>(`${state.broker}/dead-letters`);
    if (b.status === 200 && Array.isArray(b.body))
      return { from: 'the local broker (GET /dead-letters, in memory)', letters: b.body.map(asSeen) };
    return { unreachable: `${why}; the broker answered ${b.status}` };
  } catch (err) {
    return { unreachable: `${why ? `${why}; ` : ''}the broker: ${(err as Error).message}` };
  }
}

/**
 * What an operator does once the parts are back: every open dead letter replayed, a type at a time
 * (the store's `open` counts by type). Returns what it did, for the log; null if nothing was open.
 */
async function replayDeadLetters(target: Target, apiPath: string): Promise<string | null> {
  if (!target.adminToken) return 'no operators’ API token: dead letters not replayed';
  const headers = { authorization: `Bearer ${target.adminToken}`, 'content-type': 'application/json' };
  const listed = await json<{ open?: Record<string, number> }>(`${target.edge}${apiPath}`, { headers }).catch(
    () => null,
  );
  const open = Object.entries(listed?.body?.open ?? {});
  if (!listed || listed.status !== 200)
    return `dead letters not replayed: the operators' API answered ${listed?.status ?? 'nothing'}`;
  if (open.length === 0) return null;
  for (const [type] of open)
    await json(`${target.edge}${apiPath}/replay`, { method: 'POST', headers, body: JSON.stringify({ type }) }).catch(
      () => null,
    );
  return `replayed the open dead letters: ${open.map(([t, n]) => `${n} ${t}`).join(', ')}`;
}

/** Fires every schedule (the sweeps, reconciliation, the outbox relays) through the local broker, as its PingSource would. */
async function fireSchedules(state: StackState): Promise<string | null> {
  if (!state.broker) return 'no local broker to fire the schedules through: waiting for their own times';
  const names = loadEventing().schedules.map((s) => s.name);
  const failed: string[] = [];
  await Promise.all(
    names.map(async (n) => {
      try {
        const r = await fetch(`${state.broker}/schedules/${n}`, { method: 'POST', signal: AbortSignal.timeout(3_000) });
        if (r.status !== 202) failed.push(`${n}: ${r.status}`);
      } catch (err) {
        failed.push(`${n}: ${(err as Error).message}`);
      }
    }),
  );
  return failed.length
    ? `could not fire ${failed.length} of ${names.length} schedules (${failed.slice(0, 2).join('; ')})`
    : null;
}

async function records<T>(
  url: string | undefined,
  what: string,
  runStarted: number,
): Promise<T | { unchecked: string }> {
  if (!url) return { unchecked: `no ${what} simulator known` };
  try {
    const r = await json<T & { since?: string }>(`${url}/records`);
    if (r.status !== 200 || !r.body) return { unchecked: `the ${what} simulator answered ${r.status} at /records` };
    // Its records are in memory: a restart during the run lost what came before.
    if (r.body.since && Date.parse(r.body.since) > runStarted)
      return {
        unchecked: `the ${what} simulator restarted during the run (at ${r.body.since}): its records are incomplete`,
      };
    return r.body;
  } catch (err) {
    return { unchecked: `the ${what} simulator: ${(err as Error).message}` };
  }
}

async function safely(what: () => Promise<Checked>): Promise<Checked> {
  try {
    return await what();
  } catch (err) {
    return { unchecked: (err as Error).message };
  }
}

/** Stops a stack of chaos's own, whatever the faults left of it: a supervisor that no longer runs leaves its parts to be killed here. */
async function stopOwn(target: Target, state: StackState, standIns: number[]) {
  const supervisor = state.supervisor;
  const reap = () => {
    let latest = state;
    try {
      latest = readState(target.stateDir!);
    } catch {
      /* gone: what was read before */
    }
    const pids = new Set([
      ...(latest.pids ?? []),
      ...Object.values(latest.processes ?? {}),
      ...Object.values(partPorts(latest))
        .map(listenerPid)
        .filter((p): p is number => p !== null),
    ]);
    for (const pid of pids) if (pid !== process.pid && isAlive(pid) && isOurs(pid)) process.kill(pid, 'SIGKILL');
    for (const dir of latest.dirs ?? [])
      if (path.basename(dir).startsWith('premiere-')) rmSync(dir, { recursive: true, force: true });
  };
  if (supervisor && isAlive(supervisor)) {
    const stopped = await Promise.race([target.stop().then(() => true), sleep(45_000).then(() => false)]);
    if (!stopped) {
      say('the stack did not stop within 45 s: killing what is left');
      process.kill(supervisor, 'SIGKILL');
      reap();
    }
  } else {
    say('the supervisor is gone: stopping what it left running');
    reap();
    await target.stop();
  }
  for (const pid of standIns) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}

async function main() {
  const opts = parse(process.argv.slice(2));
  let target: Target;
  let own = false;
  if (opts.url) {
    const local = runningStack(opts.stateDir);
    if (!local)
      throw new Error(
        `--url: the faults need the stack's processes, database and simulators, read from ${path.join(opts.stateDir!, 'stack.json')} (set PREMIERE_STATE_DIR or --state-dir)`,
      );
    target = { ...local, edge: opts.url, adminToken: opts.adminToken ?? local.adminToken };
  } else {
    say('starting a local stack of its own');
    target = await startStack(OWN_STACK_ENV, say);
    own = true;
  }
  const state = readState(target.stateDir!);
  const standIns: number[] = [];
  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= own
      ? stopOwn(target, state, standIns)
      : Promise.resolve(
          standIns.length
            ? void say(
                `left running for the stack: ${standIns.join(', ')} (started by chaos in place of a part its supervisor did not restart)`,
              )
            : undefined,
        ));
  process.once('SIGINT', () => void stop().then(() => process.exit(130)));
  // Whatever breaks in chaos itself, a stack of its own is not left running.
  process.once('uncaughtException', (err) => {
    say(`chaos failed: ${err.stack ?? err.message}`);
    void stop().then(() => process.exit(2));
  });
  try {
    const code = await run(opts, target, state, standIns);
    await stop();
    process.exit(code);
  } catch (err) {
    await stop();
    throw err;
  }
}

async function run(opts: Options, target: Target, state: StackState, standIns: number[]): Promise<number> {
  const databaseUrl = opts.databaseUrl ?? state.backing?.postgres;
  const show = opts.behaviour.show;
  const adminHeaders = { authorization: `Bearer ${target.adminToken}` };
  const room = await json<{ seats?: number; message?: string }>(`${target.edge}/admin/api/shows/${show}`, {
    headers: adminHeaders,
  });
  if (room.body?.seats === undefined)
    throw new Error(`the operators' API knows no show "${show}": ${room.status} ${room.body?.message ?? ''}`);
  if (opts.zoneCapacity) {
    const set = await json(`${target.edge}/admin/api/shows/${show}`, {
      method: 'PATCH',
      headers: { ...adminHeaders, 'content-type': 'application/json' },
      body: JSON.stringify({ capacity: opts.zoneCapacity }),
    });
    if (set.status !== 200) throw new Error(`setting the zone capacity: ${set.status}`);
  }
  const faults: Fault[] = pickFaults(allFaults(Object.keys(state.functions), opts.sigterm), opts.faults);
  if (!state.functions[opts.sigterm])
    throw new Error(`--sigterm: no function ${opts.sigterm} (there are ${Object.keys(state.functions).join(', ')})`);
  if (!state.processes) say('stack.json has no "processes": each part’s process is found by the port it listens on');

  const rec = new Recorder();
  const runStarted = Date.now();
  const client = new ChaosClient(target.edge, rec, opts.timeoutMs, opts.connections);
  const crowd: Crowd = {
    client,
    recorder: rec,
    behaviour: opts.behaviour,
    runId: randomBytes(4).toString('hex'),
    deadline: Infinity,
  };
  let phase = 'warm-up';
  let fault: string | null = null;
  const purchases = () => rec.visits.filter((v) => v.outcome === 'bought').length;
  const label = () =>
    `chaos ${phase.padEnd(8)} ${(fault ?? '–').padEnd(26).slice(0, 26)} purchases ${String(purchases()).padStart(4)}`;
  const observer = new Observer(target, rec, () => show, label, opts.visitors);
  await observer.start();

  // Dead letters are watched all along: one seen now and gone later was lost.
  const seenLetters = new Map<string, DeadLetterSeen>();
  let lettersFrom = '';
  const watchLetters = async () => {
    const l = await listDeadLetters(target, state, opts.deadLettersPath);
    if ('letters' in l) {
      lettersFrom = l.from;
      for (const letter of l.letters) seenLetters.set(letter.key, letter);
    }
    return l;
  };
  const letterTimer = setInterval(() => void watchLetters(), 2_000);

  // The crowd arrives at an even pace, through the faults.
  const visits: Promise<void>[] = [];
  let arrivalsStop = false;
  const arrivals = (async () => {
    for (let i = 0; i < opts.visitors && !arrivalsStop; i++) {
      await sleep((i / opts.visitors) * opts.arrive * 1000 - rec.now());
      visits.push(visitor(crowd, i).catch((err) => void say(`a visitor failed: ${(err as Error).message}`)));
    }
  })();

  const ports = partPorts(state);
  const ctx: FaultContext = {
    state,
    stateDir: target.stateDir!,
    ports,
    now: () => rec.now(),
    recoveryTimeoutMs: opts.recoveryTimeout * 1000,
    log: say,
    current: (name) => (fault = name),
    standIns,
    volley: (part) => ({ settled: volley(target, client, part, show) }),
    // Asking for the room rebuilds it if Redis forgot it; then it is whole once its grace is over.
    roomRecovered: async () => {
      const r = await json<{ recoveringUntil?: string | null }>(`${target.edge}/admin/api/shows/${show}`, {
        headers: adminHeaders,
      }).catch(() => null);
      return r?.status === 200 && !r.body?.recoveringUntil;
    },
  };
  await sleep(opts.warmup * 1000);
  phase = 'faults';
  const made: FaultRecord[] = [];
  for (const f of faults) {
    if (state.supervisor && !isAlive(state.supervisor)) {
      made.push({
        name: f.name,
        start_ms: rec.now(),
        end_ms: rec.now(),
        recovered_ms: null,
        errors_5xx: 0,
        note: 'not made: the stack’s supervisor is gone, nothing would restart it',
      });
      continue;
    }
    made.push(await makeFault(ctx, f));
    await sleep(opts.gap * 1000);
  }

  // Recovery: the crowd goes on; the sweeps are fired; then every visitor still holding a token is looked at.
  phase = 'recovery'; // a crowd still arriving keeps arriving
  const fired = await fireSchedules(state);
  if (fired) say(fired);
  await sleep(Math.min(10, opts.settle) * 1000);
  phase = 'places';
  await lookAtPlaces(client);
  phase = 'leaving';
  arrivalsStop = true;
  await arrivals;
  crowd.deadline = rec.now();
  client.stopAt = rec.now() + 5_000;
  await Promise.race([Promise.allSettled(visits), sleep(opts.timeoutMs + 10_000)]);

  // Settling: the dead letters replayed as an operator would, the sweeps fired until what must be
  // settled is, or the time is up.
  phase = 'settling';
  const replayed = await replayDeadLetters(target, opts.deadLettersPath);
  if (replayed) say(replayed);
  const db = databaseUrl ? new pg.Pool({ connectionString: databaseUrl, max: 2 }) : null;
  db?.on('error', () => undefined);
  const settleUntil = Date.now() + opts.settle * 1000;
  let lastFired = 0;
  let lastWhy = fired;
  for (;;) {
    if (Date.now() - lastFired > 10_000) {
      const why = await fireSchedules(state);
      if (why && why !== lastWhy) say(why);
      lastWhy = why;
      lastFired = Date.now();
      await sleep(3_000);
    }
    const open = db ? await settledYet(db).catch((err) => `the database: ${(err as Error).message}`) : null;
    if (open === null || Date.now() > settleUntil) {
      if (open) say(`still unsettled after ${opts.settle} s: ${open}`);
      break;
    }
    await sleep(2_000);
  }
  phase = 'checking';
  clearInterval(letterTimer);
  await observer.stop();
  await client.close();

  const payments = await records<{ payments: ProviderPayment[] }>(
    state.simulators['payment-provider'],
    'payment provider',
    runStarted,
  );
  const legacyRecords = await records<{ holds: LegacyHold[] }>(
    state.simulators['legacy-cinema'],
    'legacy cinema',
    runStarted,
  );
  const noDb = { unchecked: 'no database known (give --database-url)' };
  const crowdSeats = rec.visits.flatMap((v) => v.seats);
  const chargesFound =
    db && 'payments' in payments
      ? await check.charges(db, payments.payments).catch((err) => ({ error: err as Error }))
      : null;
  const fromCharges = (k: 'doubleCharges' | 'unrefunded' | 'unpaidTickets'): Checked =>
    !db
      ? noDb
      : 'unchecked' in payments
        ? payments
        : !chargesFound
          ? noDb
          : 'error' in chargesFound
            ? { unchecked: chargesFound.error.message }
            : chargesFound[k];
  const letters = await watchLetters();
  const lettersChecked = 'letters' in letters ? check.deadLetters(letters.letters, seenLetters) : null;
  const lettersUnchecked = {
    unchecked: `${'unreachable' in letters ? letters.unreachable : ''}${seenLetters.size ? `; ${seenLetters.size} dead letters seen during the run could not be looked at again` : ''}`,
  };
  const findings: Findings = {
    oversold: db ? await safely(() => check.oversold(db, crowdSeats)) : noDb,
    doubleCharges: fromCharges('doubleCharges'),
    unrefunded: fromCharges('unrefunded'),
    unpaidTickets: fromCharges('unpaidTickets'),
    legacyAgrees: !db
      ? noDb
      : 'unchecked' in legacyRecords
        ? legacyRecords
        : await safely(() => check.legacyAgrees(db, legacyRecords.holds)),
    stuckOrders: db ? await safely(() => check.stuckOrders(db, STUCK_GRACE_SECONDS)) : noDb,
    outbox: db ? await safely(() => check.outboxLeft(db)) : noDb,
    deadLettersLeft: lettersChecked ? lettersChecked.left : lettersUnchecked,
    deadLettersLost: lettersChecked ? lettersChecked.lost : lettersUnchecked,
    lostPlaces: check.lostPlaces(client.places.values()),
    errorsOutside: check.errorsOutside(
      client.exchanges,
      made.map((r) => ({ name: r.name, start: r.start_ms, end: r.end_ms })),
      opts.grace * 1000,
    ),
    legacyLimit: check.legacyLimit(observer.legacy),
  };
  await db?.end();
  for (const r of made)
    r.errors_5xx = client.exchanges.filter(
      (e) => (e.status === null || e.status >= 500) && e.at >= r.start_ms && e.sentAt <= r.end_ms + opts.grace * 1000,
    ).length;
  if (lettersFrom) say(`dead letters read from ${lettersFrom}`);

  const out = summary({
    faults: made,
    visitors: rec.visits.length,
    purchases: purchases(),
    findings,
    legacy: observer.legacy,
  });
  const failed = failures(findings, made, purchases());
  for (const f of failed) say(`INVARIANT BROKEN: ${f}`);
  if (failed.length === 0) say('every invariant holds');
  process.stdout.write(`${JSON.stringify(out)}\n`);
  return failed.length ? 1 : 0;
}

/** An order still holding seats this long after its hold ran out (the expiry sweep fired meanwhile) is stuck. */
const STUCK_GRACE_SECONDS = 10;

/** What is not settled yet (null: all of it is): orders awaiting payment or past their hold, events unpublished. */
async function settledYet(db: pg.Pool): Promise<string | null> {
  const open: string[] = [];
  const { rows } = await db.query<{ awaiting: number; late: number }>(
    `SELECT count(*) FILTER (WHERE state = 'awaiting_payment')::int AS awaiting,
            count(*) FILTER (WHERE state IN ('pending_payment', 'awaiting_payment') AND hold_expires_at < now())::int AS late
       FROM reserve_seat.orders`,
  );
  if (rows[0].awaiting) open.push(`${rows[0].awaiting} orders awaiting payment`);
  if (rows[0].late) open.push(`${rows[0].late} orders past their hold`);
  const outbox = await check.outboxLeft(db);
  if (outbox.count) open.push(...outbox.details);
  return open.length ? open.join('; ') : null;
}

/** Asks the waiting room about every visitor that joined and did not leave: each answer is judged as the visitor's own polls are. */
async function lookAtPlaces(client: ChaosClient) {
  const queue = [...client.places.entries()].filter(([, p]) => !p.leftOnPurpose && p.lost === null);
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const [session, p] = next;
      await client
        .call('status', 'GET', `/waiting-room/api/shows/${encodeURIComponent(p.show)}/status`, {
          headers: { 'x-session-id': session, authorization: `Bearer ${p.token}` },
        })
        .catch(() => undefined);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

/**
 * SIGTERM under load: the volley the issue measured (72 requests to the function in flight when
 * the signal comes), seat maps with the zone passes of visitors inside, each answered or not.
 */
async function volley(
  target: Target,
  client: ChaosClient,
  part: string,
  show: string,
): Promise<{ inFlight: number; dropped: number }> {
  const inside = [...client.places.entries()].filter(([, p]) => p.zoneToken).slice(-72);
  const paths: { path: string; headers: Record<string, string> }[] =
    part === 'reserve-seat'
      ? Array.from({ length: 72 }, (_, i) => {
          const pass = inside.length ? inside[i % inside.length] : null;
          return {
            path: `/checkout/api/shows/${show}/seats`,
            headers: pass ? { authorization: `Bearer ${pass[1].zoneToken}`, 'x-session-id': pass[0] } : {},
          };
        })
      : Array.from({ length: 72 }, () => ({
          path:
            part === 'issue-token'
              ? `/waiting-room/api/shows/${show}/status`
              : part === 'admit-batch'
                ? '/admin/api/shows'
                : '/',
          headers: {},
        }));
  const answers = await Promise.all(
    paths.map(async ({ path: p, headers }) => {
      try {
        const res = await fetch(`${target.edge}${p}`, { headers, signal: AbortSignal.timeout(30_000) });
        await res.arrayBuffer();
        return res.status;
      } catch {
        return null;
      }
    }),
  );
  // 503 is an answer (the legacy system busy); a reset, a 502 or no answer is a request dropped.
  return {
    inFlight: answers.length,
    dropped: answers.filter((s) => s === null || s === 500 || s === 502 || s === 504).length,
  };
}

if (require.main === module) {
  main().catch((err) => {
    say((err as Error).message);
    process.exit(2);
  });
}
