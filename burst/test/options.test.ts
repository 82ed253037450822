import { spawnSync } from 'node:child_process';
import path from 'node:path';

const burst = (...args: string[]) =>
  spawnSync(process.execPath, [path.resolve(__dirname, '../dist/main.js'), ...args], {
    encoding: 'utf8',
    timeout: 20_000,
  });

describe('the burst’s options', () => {
  it('refuses options for a stack of its own against another one, saying which', () => {
    const run = burst('--url', 'http://127.0.0.1:9', '--visit-seconds', '5', '--opens-in', '10');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(
      "--visit-seconds and --opens-in are for a stack the burst starts itself; against --url the target's own settings apply: leave them out",
    );
  });

  it('refuses an unknown option and a value out of range, saying which', () => {
    expect(burst('--vistors', '5').stderr).toContain('unknown option --vistors');
    const run = burst('--visitors', '0');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--visitors must be a number from 1 to 1000000, got 0');
  });
});
