import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import type { Logger } from '@premiere/runtime';

/** A part that dies within this long of starting is crash-looping: it waits longer each time. */
const SETTLED_MS = 10_000;
const FIRST_DELAY_MS = 1_000;
const MAX_DELAY_MS = 30_000;

/** One part of the local stack, as the supervisor starts and stops it. */
export interface Part {
  /** Starts it (again): resolves with its process once it runs; rejects when it cannot start. */
  start(): Promise<ChildProcess>;
  /** Stops it for good; `child` is its process, when one runs. */
  stop(child: ChildProcess | undefined): Promise<void>;
}

/**
 * Keeps the local stack's parts running, as Kubernetes keeps pods: a part whose process dies is
 * started again after a backoff (1 s, doubling while it keeps dying within 10 s, at most 30 s),
 * each restart logged. `processes` names each running part's pid (a part being restarted is absent).
 */
export class Supervisor {
  readonly processes: Record<string, number> = {};
  private stopping = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly log: Logger,
    /** Called whenever `processes` changed. */
    private readonly changed: () => void,
  ) {}

  /**
   * Starts `name` (or takes `first`, already started) and keeps it running; a failure of the
   * first start throws. Resolves with what stops it for good.
   */
  async keep(name: string, part: Part, first?: ChildProcess): Promise<() => Promise<void>> {
    let child: ChildProcess | undefined;
    let startedAt = Date.now();
    let crashes = 0;
    let starting: Promise<void> = Promise.resolve();

    const down = (why: string) => {
      child = undefined;
      delete this.processes[name];
      this.changed();
      if (this.stopping) return;
      crashes = Date.now() - startedAt < SETTLED_MS ? crashes + 1 : 1;
      const delayMs = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (crashes - 1));
      this.log.error(
        { process: name, reason: why, restartInMs: delayMs },
        `${name} ${why}; starting it again in ${delayMs / 1000} s`,
      );
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (this.stopping) return;
        startedAt = Date.now();
        starting = part.start().then(
          (c) => {
            this.log.warn({ process: name, pid: c.pid }, `${name} started again`);
            running(c);
          },
          (err: Error) => down(`could not start (${err.message})`),
        );
      }, delayMs);
      this.timers.add(timer);
    };
    const running = (c: ChildProcess) => {
      child = c;
      this.processes[name] = c.pid!;
      this.changed();
      const exited = () => child === c && down(`exited (${c.signalCode ?? `code ${c.exitCode}`})`);
      if (c.exitCode !== null || c.signalCode !== null) exited();
      else c.once('exit', exited);
    };

    running(first ?? (await part.start()));
    return async () => {
      await starting;
      await part.stop(child);
    };
  }

  /** From now on nothing is started again (the stack is stopping). */
  halt(): void {
    this.stopping = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}

/**
 * A process, once it runs. One that cannot be started (EAGAIN, EMFILE, no such program) is a failed
 * start, which the supervisor tries again, not an unhandled 'error' event that ends the supervisor.
 */
export async function started(command: string, args: string[], options: SpawnOptions): Promise<ChildProcess> {
  const child = spawn(command, args, options);
  await new Promise((running, failed) => {
    child.once('spawn', running);
    child.once('error', failed);
  });
  child.on('error', () => undefined); // later errors (a signal to a process gone) are its exit's business
  return child;
}

/** A Node program of the stack (a function, a simulator, the broker, the edge) as a part. */
export function nodeProgram(script: string, env: NodeJS.ProcessEnv): Part {
  return {
    start: () =>
      started(process.execPath, [script], {
        env,
        stdio: ['ignore', 'inherit', 'inherit'],
        detached: true, // its own process group: Ctrl-C reaches the stack, which stops it in order
      }),
    stop: (child) => terminate(child, 12_000),
  };
}

/** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
export async function terminate(child: ChildProcess | undefined, graceMs: number): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
