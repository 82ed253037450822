import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** A local stack run in a child process, as `npm start` runs it. */
export interface StackRun {
  child: ChildProcess;
  stateDir: string;
  /** Everything it printed so far (for a failure's message). */
  output: string;
  exited: Promise<number | null>;
}

/** `npm start`'s program in a child process, its state in `stateDir`, its edge on `port`, `env` on top of ours. */
export function spawnStack(stateDir: string, port: number, env: NodeJS.ProcessEnv = process.env): StackRun {
  const child = spawn(process.execPath, [path.resolve(__dirname, '../dist/main.js')], {
    env: { LOG_LEVEL: 'warn', ...env, PREMIERE_PORT: String(port), PREMIERE_STATE_DIR: stateDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run: StackRun = {
    child,
    stateDir,
    output: '',
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
  };
  child.stdout!.on('data', (c) => (run.output += c));
  child.stderr!.on('data', (c) => (run.output += c));
  return run;
}

/**
 * The run's stack.json (its edge, broker, functions, simulators, backing services) once this run
 * of it is up; throws, with what it printed, if it exits or is not up within `timeoutMs`.
 */
export async function whenUp(run: StackRun, timeoutMs = 120_000): Promise<Record<string, any>> {
  const file = path.join(run.stateDir, 'stack.json');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
    if (state?.edge && state.supervisor === run.child.pid) return state;
    if (run.child.exitCode !== null || Date.now() > deadline) {
      throw new Error(
        `the local stack did not start${run.child.exitCode === null ? ` within ${timeoutMs} ms` : ''}:\n${run.output}`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
