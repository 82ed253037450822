import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createLogger } from '@premiere/runtime';
import { captureLogs, eventually } from '@premiere/testing';
import { started, Supervisor, terminate, type Part } from '../src/supervise';

function alive(pid: number) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A Node program that runs until stopped. */
const sleeper = (): Part => ({
  start: async () => spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }),
  stop: (child) => terminate(child, 5_000),
});

describe('the local stack’s supervisor', () => {
  const supervisors: Supervisor[] = [];
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const s of supervisors.splice(0)) s.halt();
    for (const stop of stops.splice(0)) await stop();
  });

  it('takes a program that cannot be started for a failed start (tried again), not the end of the supervisor', async () => {
    await expect(started('/no/such/program', [], { stdio: 'ignore' })).rejects.toThrow(/ENOENT/);
    const logs = captureLogs();
    const supervisor = new Supervisor(createLogger({ name: 'local-stack' }, logs.stream), () => undefined);
    supervisors.push(supervisor);
    // Its second start cannot spawn (a program gone, no process slot left): the third is tried.
    let tries = 0;
    const part: Part = {
      start: () => (++tries === 2 ? started('/no/such/program', [], { stdio: 'ignore' }) : sleeper().start()),
      stop: (child) => terminate(child, 5_000),
    };
    stops.push(await supervisor.keep('flaky', part));
    const first = supervisor.processes.flaky;
    process.kill(first, 'SIGKILL');
    await eventually(() => supervisor.processes.flaky !== undefined && supervisor.processes.flaky !== first, 10_000);
    expect(tries).toBe(3);
    expect(logs.lines.map((l) => l.msg)).toContain(
      'flaky could not start (spawn /no/such/program ENOENT); starting it again in 2 s',
    );
  });

  it('starts a part that died again, records its new pid, and logs the restart', async () => {
    const logs = captureLogs();
    let changes = 0;
    const supervisor = new Supervisor(createLogger({ name: 'local-stack' }, logs.stream), () => changes++);
    supervisors.push(supervisor);
    stops.push(await supervisor.keep('worker', sleeper()));
    const first = supervisor.processes.worker;
    expect(alive(first)).toBe(true);

    process.kill(first, 'SIGKILL');
    await eventually(() => supervisor.processes.worker !== undefined && supervisor.processes.worker !== first, 10_000);
    expect(alive(supervisor.processes.worker)).toBe(true);
    expect(changes).toBe(3); // started, died, started again
    expect(logs.lines.map((l) => l.msg)).toEqual([
      'worker exited (SIGKILL); starting it again in 1 s',
      'worker started again',
    ]);
    expect(logs.lines[0]).toMatchObject({ level: 'error', process: 'worker', restartInMs: 1_000 });
  });

  it('waits longer each time a part keeps dying, and tries again when it cannot start', async () => {
    const logs = captureLogs();
    const supervisor = new Supervisor(createLogger({ name: 'local-stack' }, logs.stream), () => undefined);
    supervisors.push(supervisor);
    let starts = 0;
    // Exits at once; its second start fails outright.
    const crashing: Part = {
      start: async () => {
        if (++starts === 2) throw new Error('port taken');
        return spawn(process.execPath, ['-e', 'process.exit(3)'], { stdio: 'ignore' });
      },
      stop: async () => undefined,
    };
    stops.push(await supervisor.keep('crasher', crashing));
    const restarts = () => logs.lines.filter((l) => l.level === 'error');
    await eventually(() => restarts().length >= 3, 15_000);
    supervisor.halt();
    expect(
      restarts()
        .slice(0, 3)
        .map((l) => [l.reason, l.restartInMs]),
    ).toEqual([
      ['exited (code 3)', 1_000],
      ['could not start (port taken)', 2_000],
      ['exited (code 3)', 4_000],
    ]);
  }, 30_000);

  it('waits at most 30 s between restarts, and 1 s again once a part ran 10 s before dying', async () => {
    jest.useFakeTimers();
    try {
      const logs = captureLogs();
      const supervisor = new Supervisor(createLogger({ name: 'local-stack' }, logs.stream), () => undefined);
      supervisors.push(supervisor);
      // A process as the supervisor sees one: it exits at once, or (`lives`) when told to.
      const exits = new EventEmitter();
      let lives = false;
      const part: Part = {
        start: async () =>
          Object.assign(lives ? exits : new EventEmitter(), {
            pid: 4242,
            exitCode: lives ? null : 3,
            signalCode: null,
          }) as unknown as ChildProcess,
        stop: async () => undefined,
      };
      const delays = () => logs.lines.filter((l) => l.level === 'error').map((l) => l.restartInMs);
      await supervisor.keep('crasher', part);
      await jest.advanceTimersByTimeAsync(1_000 + 2_000 + 4_000 + 8_000 + 16_000 + 30_000);
      expect(delays()).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
      // The next start stays up for 10 s, then dies: not a crash loop any more.
      lives = true;
      await jest.advanceTimersByTimeAsync(30_000);
      expect(supervisor.processes.crasher).toBe(4242);
      await jest.advanceTimersByTimeAsync(10_000);
      Object.assign(exits, { exitCode: 1 }).emit('exit');
      expect(delays().at(-1)).toBe(1_000);
    } finally {
      jest.useRealTimers();
    }
  });

  it('starts nothing again once halted (the stack is stopping)', async () => {
    const logs = captureLogs();
    const supervisor = new Supervisor(createLogger({ name: 'local-stack' }, logs.stream), () => undefined);
    supervisors.push(supervisor);
    stops.push(await supervisor.keep('worker', sleeper()));
    supervisor.halt();
    process.kill(supervisor.processes.worker, 'SIGKILL');
    // Seen dead (it is no longer listed), and no restart planned: that would have been logged then.
    await eventually(() => supervisor.processes.worker === undefined, 10_000);
    expect(logs.lines).toEqual([]);
  });

  it('stops the part’s current process for good', async () => {
    const supervisor = new Supervisor(createLogger({ name: 'local-stack' }, captureLogs().stream), () => undefined);
    supervisors.push(supervisor);
    const stop = await supervisor.keep('worker', sleeper());
    const pid = supervisor.processes.worker;
    supervisor.halt();
    await stop();
    expect(alive(pid)).toBe(false);
  });
});
