import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { listFunctions } from '@premiere/runtime';

/**
 * `npm run cold-start [-- --runs N]`: how long each function takes from process start to its first
 * 200 on /readyz (what a request waits for, on top of pulling the image, when Knative scales a
 * function up from zero). Beside it, the floor: a bare Node http server answering its first
 * request. Uses DATABASE_URL and REDIS_URL (default: the local ones); prints one JSON line.
 */
const ROOT = path.resolve(__dirname, '../..');
const FUNCTIONS = listFunctions();
const BARE = "require('http').createServer((q, s) => s.end('ok')).listen(Number(process.env.PORT))";

let nextPort = 20_000 + Math.floor(Math.random() * 20_000);

async function timeToReady(args: string[], readyPath: string): Promise<number> {
  const port = nextPort++;
  const env = {
    ...process.env,
    PORT: String(port),
    DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    K_SINK: 'http://127.0.0.1:9/',
    LOG_LEVEL: 'warn',
    // The secrets and the third parties' addresses some functions require (nothing is called).
    TOKEN_SIGNING_KEYS: JSON.stringify({ bench: 'cold-start-signing-key-0123456789abcdef' }),
    ADMIN_TOKEN: 'cold-start-admin-token',
    LEGACY_URL: 'http://127.0.0.1:9/',
    PAYMENT_PROVIDER_URL: 'http://127.0.0.1:9/',
  };
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, args, { env, stdio: 'ignore' });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited with ${child.exitCode}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}${readyPath}`);
        if (res.ok) return Number(process.hrtime.bigint() - started) / 1e6;
      } catch {
        /* not listening yet */
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const i = process.argv.indexOf('--runs');
  const runs = i === -1 ? 5 : Number(process.argv[i + 1]);
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs needs a positive integer');
  const results: Record<string, { median_ms: number; min_ms: number; max_ms: number }> = {};
  const targets: [string, string[], string][] = [
    ['node (bare http server)', ['-e', BARE], '/'],
    ...FUNCTIONS.map((f): [string, string[], string] => [
      f,
      [path.join(ROOT, 'functions', f, 'dist/main.js')],
      '/readyz',
    ]),
  ];
  for (const [name, args, readyPath] of targets) {
    const times: number[] = [];
    for (let r = 0; r < runs; r++) times.push(await timeToReady(args, readyPath));
    results[name] = {
      median_ms: Math.round(median(times)),
      min_ms: Math.round(Math.min(...times)),
      max_ms: Math.round(Math.max(...times)),
    };
    process.stderr.write(`  ${name.padEnd(24)} median ${results[name].median_ms} ms (${runs} runs)\n`);
  }
  process.stdout.write(
    `${JSON.stringify({ bench: 'cold-start', runs, functions: results, machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version } })}\n`,
  );
}

main().catch((err) => {
  process.stderr.write(`cold-start: ${(err as Error).message}\n`);
  process.exit(1);
});
