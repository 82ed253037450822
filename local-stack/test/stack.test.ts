import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CloudEvent, HTTP } from 'cloudevents';
import { Redis } from 'ioredis';
import pg from 'pg';
import { eventually } from '@premiere/testing';
import { freePort } from '../src/backing';
import { startStack, whenUp } from './run-stack';

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
  // A failed expectation must fail the test, not leave a stack running that jest then waits on.
  const stacks: ReturnType<typeof startStack>[] = [];
  const clients: Redis[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.disconnect();
    for (const run of stacks.splice(0)) {
      if (run.child.exitCode !== null || run.child.signalCode !== null) continue;
      run.child.kill('SIGINT');
      const stopped = await Promise.race([
        run.exited.then(() => true),
        new Promise((r) => setTimeout(() => r(false), 20_000)),
      ]);
      if (stopped) continue;
      // A stop that hangs (the bug a test found): kill what it runs rather than leave it behind.
      const file = path.join(run.stateDir, 'stack.json');
      const state = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { pids: [] };
      for (const pid of [run.child.pid!, ...state.pids]) if (alive(pid)) process.kill(pid, 'SIGKILL');
      await run.exited;
    }
  }, 30_000);

  it('comes up with embedded PostgreSQL and Redis, every function ready through the edge, and Ctrl-C leaves no process', async () => {
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'premiere-stack-'));
    const stateFile = path.join(stateDir, 'stack.json');
    const port = await freePort();

    // A stack killed outright (kill -9) leaves its processes behind; the next start reaps them.
    const first = startStack(stateDir, port);
    stacks.push(first);
    const firstState = await whenUp(first);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(firstState.pids.some(alive)).toBe(true);

    // Its visitors all come from this machine's one address: the waiting room's per-address
    // limits would let four of them hold a token of the 24-seat premiere (README, "The waiting room").
    const stack = startStack(stateDir, port, {
      ADDRESS_TOKEN_CAP_MIN: '0',
      ADDRESS_TOKEN_CAP_SHARE: '0',
      ADDRESS_NEW_TOKEN_RATE: '0',
      ADDRESS_HELD_SEATS_SHARE: '0',
    });
    stacks.push(stack);
    const state = await whenUp(stack);
    await eventually(() => firstState.pids.every((pid: number) => !alive(pid)), 5_000); // reaped (zombies cleared)
    expect(firstState.dirs.filter((d: string) => existsSync(d))).toEqual([]);

    expect(Object.keys(state.functions).sort()).toEqual([...FUNCTIONS].sort());
    expect(Object.keys(state.simulators).sort()).toEqual(['legacy-cinema', 'payment-provider']);
    expect(stack.output).toContain('premiere is running');
    // Every function with a public route answers its readiness through the edge; process-payment,
    // which has none, only where it runs.
    for (const fn of FUNCTIONS.filter((f) => f !== 'process-payment')) {
      const res = await fetch(`${state.edge}/_health/${fn}`);
      expect([fn, res.status]).toEqual([fn, 200]);
    }
    expect((await fetch(`${state.edge}/_health/process-payment`)).status).toBe(404);
    expect((await fetch(`${state.functions['process-payment']}/readyz`)).status).toBe(200);
    expect((await fetch(`${state.edge}/events`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${state.edge}/_health/constructor`)).status).toBe(404);
    expect((await fetch(`${state.edge}/edge/healthz`)).status).toBe(200);
    expect((await fetch(`${state.broker}/healthz`)).status).toBe(200);

    // One door: from another machine (this one's outward address) only the edge answers; the
    // functions, simulators and broker listen on 127.0.0.1.
    const outward = Object.values(os.networkInterfaces())
      .flat()
      .find((i) => i?.family === 'IPv4' && !i.internal)?.address;
    if (outward) {
      const fromOutside = (url: string) =>
        fetch(url.replace('127.0.0.1', outward), { signal: AbortSignal.timeout(2_000) }).then(
          (r) => r.status,
          () => 'refused',
        );
      expect(await fromOutside(`${state.edge}/edge/healthz`)).toBe(200);
      for (const url of [
        ...Object.values(state.functions),
        ...Object.values(state.simulators),
        state.broker,
      ] as string[]) {
        expect([url, await fromOutside(`${url}/healthz`)]).toEqual([url, 'refused']);
      }
    }

    // Sender identity: events reach a function only from the broker, and the broker takes them only
    // with the token the functions send (the SinkBinding's, here a file of the stack's).
    const forged = HTTP.binary(
      new CloudEvent({ id: 'forged-1', type: 'premiere.catalog.changed', source: '/premiere/admin', data: {} }),
    );
    const straight = await fetch(`${state.functions['render-catalog']}/events`, {
      method: 'POST',
      headers: forged.headers as Record<string, string>,
      body: forged.body as string,
    });
    expect(straight.status).toBe(401);
    expect(
      (
        await fetch(state.broker, {
          method: 'POST',
          headers: forged.headers as Record<string, string>,
          body: forged.body as string,
        })
      ).status,
    ).toBe(401);
    const sinkToken = readFileSync(path.join(stateDir, 'oidc', 'token'), 'utf8');
    // The broker's signing key, kept for its restarts, is for this user's eyes only.
    expect((statSync(path.join(stateDir, 'oidc', 'broker-key.pem')).mode & 0o777).toString(8)).toBe('600');
    expect((statSync(path.join(stateDir, 'oidc')).mode & 0o777).toString(8)).toBe('700');
    const toBroker = (message: { headers: Record<string, unknown>; body: unknown }) =>
      fetch(state.broker, {
        method: 'POST',
        headers: { ...(message.headers as Record<string, string>), authorization: `Bearer ${sinkToken}` },
        body: message.body as string,
      });

    // Migrated, with the demo catalog: a premiere in a small room.
    const db = new pg.Client({ connectionString: state.backing.postgres });
    await db.connect();
    const { rows } = await db.query(
      `SELECT count(*)::int AS seats FROM render_catalog.shows s JOIN render_catalog.seats t ON t.room_id = s.room_id WHERE s.id = 'last-starfall-premiere'`,
    );
    await db.end();
    expect(rows[0].seats).toBe(24);
    const seats = await (await fetch(`${state.simulators['legacy-cinema']}/shows/last-starfall-premiere/seats`)).json();
    expect(seats.seats).toHaveLength(24);

    // The waiting room through the edge: a quiet room admits at once, then a line forms; a visit
    // that ends, announced through the broker (routed by eventing.yaml), lets the next one in.
    const premiere = 'last-starfall-premiere';
    expect(await (await fetch(`${state.edge}/waiting-room/${premiere}`)).text()).toContain(
      '<h1 class="show-title">The Last Starfall</h1>',
    );
    const joinAs = async (i: number) => {
      const session = `stack-test-session-${String(i).padStart(4, '0')}`;
      const body = await (
        await fetch(`${state.edge}/waiting-room/api/shows/${premiere}/join`, {
          method: 'POST',
          headers: { 'x-session-id': session },
        })
      ).json();
      return { session, ...body };
    };
    const visitors = [];
    for (let i = 0; i < 12; i++) visitors.push(await joinAs(i));
    expect(visitors.map((v) => v.status.state)).toEqual([...Array(10).fill('admitted'), 'waiting', 'waiting']);

    // Every part is a process of its own, listed by name with its pid for tools (npm run chaos).
    const processes = (): Record<string, number> => JSON.parse(readFileSync(stateFile, 'utf8')).processes;
    expect(Object.keys(state.processes).sort()).toEqual(
      ['broker', 'edge', 'legacy-cinema', 'payment-provider', 'postgres', 'redis', ...FUNCTIONS].sort(),
    );
    expect(Object.values(state.processes).every((pid) => alive(pid as number))).toBe(true);
    expect([...state.pids].sort()).toEqual(Object.values(state.processes).sort());
    /** Kills `name` outright and waits until the stack has started it again (a new pid recorded). */
    const killAndWaitBack = async (name: string, back: () => Promise<boolean>) => {
      const before = processes()[name];
      process.kill(before, 'SIGKILL');
      await eventually(
        async () => processes()[name] !== before && alive(processes()[name]) && (await back().catch(() => false)),
        30_000,
        200,
      );
    };

    // The broker dies: it comes back on the same URL with the same signing key (the functions' token,
    // read before, still accepted; its deliveries still verified by the functions), its schedules
    // known; the edge and the supervisor never noticed.
    const untouched = { edge: processes().edge, supervisor: stack.child.pid };
    await killAndWaitBack('broker', async () => (await fetch(`${state.broker}/healthz`)).ok);
    expect(processes().edge).toBe(untouched.edge);
    expect(stack.child.exitCode).toBeNull();
    const ended = HTTP.binary(
      new CloudEvent({
        id: 'stack-0',
        type: 'premiere.hold.released',
        source: '/premiere/reserve-seat',
        data: { showId: premiere, visitor: visitors[0].visitor, orderId: randomUUID() },
      }),
    );
    expect((await toBroker(ended)).status).toBe(202);
    const next = visitors[10];
    await eventually(
      async () => {
        const s = await (
          await fetch(`${state.edge}/waiting-room/api/shows/${premiere}/status`, {
            headers: { authorization: `Bearer ${next.token}`, 'x-session-id': next.session },
          })
        ).json();
        return s.state === 'admitted';
      },
      10_000,
      200,
    );
    expect((await fetch(`${state.broker}/schedules/reserve-seat-hold-expiry`, { method: 'POST' })).status).toBe(202);
    await eventually(async () => (await (await fetch(`${state.broker}/stats`)).json()).delivered >= 2, 10_000, 200);
    const { ADMIN_TOKEN } = JSON.parse(readFileSync(path.join(stateDir, 'secrets.json'), 'utf8'));
    const room = await (
      await fetch(`${state.edge}/admin/api/shows/${premiere}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    ).json();
    expect(room).toMatchObject({ showId: premiere, tokensIssued: 12, quota: 26, inside: 10, waiting: 1, capacity: 10 });
    expect((await fetch(`${state.edge}/admin/api/shows/${premiere}`)).status).toBe(400);

    // A delivery the broker gives up on (here at once: admit-batch refuses the data with 400) is a
    // dead letter, stored by admit-batch as on a cluster and listed for operators.
    const refused = HTTP.binary(
      new CloudEvent({
        id: 'stack-dead-1',
        type: 'premiere.hold.released',
        source: '/premiere/reserve-seat',
        data: { showId: premiere },
      }),
    );
    expect((await toBroker(refused)).status).toBe(202);
    const letters = await eventually(
      async () => {
        const list = await (
          await fetch(`${state.edge}/admin/api/dead-letters`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
        ).json();
        return list.deadLetters.length > 0 && list;
      },
      10_000,
      200,
    );
    expect(letters.deadLetters).toEqual([
      expect.objectContaining({
        eventId: 'stack-dead-1',
        type: 'premiere.hold.released',
        destination: `${state.functions['admit-batch']}/events`,
        errorCode: 400,
        open: true,
      }),
    ]);

    // An event through the broker, routed by helm/premiere/eventing.yaml, refreshes a page at the edge.
    const movie = async () => (await fetch(`${state.edge}/movies/last-starfall`)).text();
    expect(await movie()).toContain('href="/waiting-room/last-starfall-premiere"');
    const redis = new Redis(state.backing.redis, { maxRetriesPerRequest: null });
    redis.on('error', () => undefined); // it is killed below; the client reconnects
    clients.push(redis);
    await redis.set('premiere:{show:last-starfall-premiere}:availability', 'sold_out');
    const event = HTTP.binary(
      new CloudEvent({
        id: 'stack-1',
        type: 'premiere.show.availability.changed',
        source: '/premiere/issue-token',
        data: { showId: 'last-starfall-premiere', availability: 'sold_out' },
      }),
    );
    expect((await toBroker(event)).status).toBe(202);
    await eventually(async () => !(await movie()).includes('href="/waiting-room/last-starfall-premiere"'), 10_000, 200);

    // Redis dies: back on the same URL with its data (AOF, as the chart's).
    await redis.set('premiere-stack-test:kept', 'before the kill');
    await killAndWaitBack('redis', async () => (await redis.get('premiere-stack-test:kept')) === 'before the kill');
    redis.disconnect();

    // PostgreSQL dies: back on the same URL with its data, and the functions with it.
    const query = async (sql: string) => {
      const client = new pg.Client({ connectionString: state.backing.postgres });
      client.on('error', () => undefined);
      await client.connect();
      try {
        return (await client.query(sql)).rows;
      } finally {
        await client.end();
      }
    };
    await query(`CREATE TABLE public.stack_test_kept AS SELECT 'before the kill' AS note`);
    await killAndWaitBack(
      'postgres',
      async () => (await query('SELECT note FROM public.stack_test_kept'))[0]?.note === 'before the kill',
    );
    await eventually(async () => (await fetch(`${state.edge}/_health/reserve-seat`)).status === 200, 30_000, 200);

    // A function dies: started again, as Kubernetes would, and its new pid recorded.
    await killAndWaitBack(
      'reserve-seat',
      async () => (await fetch(`${state.edge}/_health/reserve-seat`)).status === 200,
    );
    // So does the edge, a process of its own: the broker and the supervisor never noticed.
    const broker = processes().broker;
    await killAndWaitBack('edge', async () => (await fetch(`${state.edge}/_health/render-catalog`)).status === 200);
    expect(processes().broker).toBe(broker);
    expect((await fetch(`${state.broker}/healthz`)).status).toBe(200);
    const pids = Object.values(processes());

    // Ctrl-C stops everything in order, even with a part down and not started again yet.
    process.kill(processes().postgres, 'SIGKILL');
    stack.child.kill('SIGINT');
    const code = await stack.exited;
    expect({ code, output: code === 0 ? '' : stack.output }).toEqual({ code: 0, output: '' });
    await eventually(() => pids.every((pid) => !alive(pid)), 10_000);
    expect(existsSync(stateFile)).toBe(false);
    expect(existsSync(path.join(stateDir, 'oidc'))).toBe(false);
    expect(state.dirs.filter((d: string) => existsSync(d))).toEqual([]);
    rmSync(stateDir, { recursive: true, force: true });
  }, 300_000);

  it('says in one line that the edge’s port is taken, before starting anything', async () => {
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'premiere-stack-'));
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, '0.0.0.0', r));
    const port = (taken.address() as net.AddressInfo).port;
    const env: NodeJS.ProcessEnv = { PATH: '/nonexistent', PREMIERE_STATE_DIR: stateDir, PREMIERE_PORT: String(port) };
    const run = spawn(process.execPath, [path.join(ROOT, 'local-stack/dist/main.js')], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    run.stderr!.on('data', (c) => (stderr += c));
    const code = await new Promise((resolve) => run.once('exit', resolve));
    taken.close();
    expect({ code, stderr: stderr.trim().split('\n') }).toEqual({
      code: 1,
      stderr: [`premiere: port ${port} is in use: stop what uses it or set PREMIERE_PORT`],
    });
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('says in one line how to get redis-server when there is none and no REDIS_URL', async () => {
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'premiere-stack-'));
    // No PATH to search (node itself is started by its absolute path).
    const env: NodeJS.ProcessEnv = {
      PATH: '/nonexistent',
      PREMIERE_STATE_DIR: stateDir,
      PREMIERE_PORT: String(await freePort()),
    };
    const run = spawn(process.execPath, [path.join(ROOT, 'local-stack/dist/main.js')], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    run.stderr!.on('data', (c) => (stderr += c));
    const code = await new Promise((resolve) => run.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([
      'premiere: redis-server is not on PATH: install it (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or set REDIS_URL',
    ]);
    rmSync(stateDir, { recursive: true, force: true });
  });
});
