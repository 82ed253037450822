import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ConfigError, createLogger, listFunctions, loadConfig, migrate } from '@premiere/runtime';
import { freePort, startEmbeddedPostgres, startRedisServer, type BackingService } from './backing';
import { LocalBroker } from './broker';
import { loadEventing, loadRoutes } from './declarations';
import { loadDemoCatalog } from './demo-catalog';
import { stackEnv } from './env';
import { localSecrets } from './secrets';

const ROOT = path.resolve(__dirname, '../..');
const FUNCTIONS = listFunctions();
const SIMULATORS = { 'legacy-cinema': 'legacy-cinema-main.js', 'payment-provider': 'payment-provider-main.js' };

const log = createLogger({ name: 'local-stack' });
/** The broker's audience, in Knative's form (eventing.knative.dev/broker/<namespace>/<name>). */
const BROKER_AUDIENCE = 'eventing.knative.dev/broker/local/default';
const maskPassword = (url: string) => url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether `pid` still runs one of the stack's own programs (guards against a reused pid). */
function isOurs(pid: number): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes(ROOT) || cmdline.includes('redis-server') || cmdline.includes('premiere-pg-');
  } catch {
    return false; // gone, or no /proc here: leave it alone
  }
}

/** Kills what a previous stack left behind if it died without cleaning up (e.g. kill -9). */
function reapStale(stateFile: string) {
  let previous: { pids?: number[]; dirs?: string[]; supervisor?: number };
  try {
    previous = JSON.parse(readFileSync(stateFile, 'utf8'));
  } catch {
    return; // no earlier stack, or an unreadable file we will overwrite
  }
  if (previous.supervisor && isAlive(previous.supervisor) && isOurs(previous.supervisor)) {
    throw new Error(`another premiere stack (pid ${previous.supervisor}) is running from ${stateFile}; stop it first`);
  }
  for (const pid of previous.pids ?? []) {
    if (isAlive(pid) && isOurs(pid)) process.kill(pid, 'SIGKILL');
  }
  for (const dir of previous.dirs ?? []) {
    if (path.basename(dir).startsWith('premiere-')) rmSync(dir, { recursive: true, force: true });
  }
}

/** Fails at once, in words, when the edge's port is taken (rather than after everything started). */
async function checkPortFree(port: number) {
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`port ${port} is in use: stop what uses it or set PREMIERE_PORT`) : err),
    );
    probe.listen(port, '0.0.0.0', () => probe.close(() => resolve()));
  });
}

async function waitReady(name: string, url: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`${name} did not become ready at ${url} within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function main() {
  const config = loadConfig(stackEnv);
  const stateDir = path.resolve(config.PREMIERE_STATE_DIR);
  const stateFile = path.join(stateDir, 'stack.json');
  reapStale(stateFile);
  mkdirSync(stateDir, { recursive: true });

  const cleanups: (() => Promise<void>)[] = [];
  const pids: number[] = [];
  const dirs: string[] = [];
  const children = new Map<string, ChildProcess>();
  let stopping = false;
  let published: object = { starting: true };
  const writeState = (state: object = published) => {
    published = state;
    writeFileSync(stateFile, `${JSON.stringify({ ...state, supervisor: process.pid, pids, dirs }, null, 2)}\n`);
  };
  // Until everything is up, record what runs so a killed start-up can be reaped next time.
  writeState();

  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping the stack');
    for (const fn of cleanups.reverse()) await fn().catch((err) => log.warn({ err }, 'cleanup step failed'));
    rmSync(stateFile, { force: true });
    log.info('stopped');
    log.flush();
    process.exit(code);
  };
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));

  try {
    await checkPortFree(config.PREMIERE_PORT);
    // Redis first: it is the one that may be missing, and it starts in a blink.
    let redisUrl = config.REDIS_URL;
    if (!redisUrl) {
      const redis = await startRedisServer();
      cleanups.push(redis.stop);
      pids.push(...redis.pids);
      dirs.push(...redis.dirs);
      redisUrl = redis.url;
    }
    let databaseUrl = config.DATABASE_URL;
    if (!databaseUrl) {
      log.info('starting an embedded PostgreSQL');
      const pg: BackingService = await startEmbeddedPostgres((line) => log.debug({ postgres: line }));
      cleanups.push(pg.stop);
      pids.push(...pg.pids);
      dirs.push(...pg.dirs);
      databaseUrl = pg.url;
    }
    writeState();

    await migrate(databaseUrl, { log: (line) => log.info(line) });
    const { shows } = await loadDemoCatalog(databaseUrl, new Date(), config.DEMO_SALES_OPEN_SECONDS * 1000);
    log.info({ shows }, 'demo catalog loaded');

    const eventing = loadEventing();
    const ports: Record<string, number> = Object.fromEntries(await Promise.all([...FUNCTIONS, ...Object.keys(SIMULATORS), 'broker'].map(async (n) => [n, await freePort()] as const)));
    ports.edge = config.PREMIERE_PORT;
    const urlOf = (name: string) => `http://127.0.0.1:${ports[name]}`;

    // Sender identity as on a cluster with Knative's authentication-oidc: the broker signs every
    // delivery for its function's audience and takes only events carrying its token, which the
    // functions read from a file, as a SinkBinding mounts it (renewed well before it runs out).
    const audienceOf = (fn: string) => `premiere/${fn}`;
    const broker = new LocalBroker({
      delivery: eventing.delivery,
      subscriptions: eventing.subscriptions.map((s) => ({ name: s.name, url: `${urlOf(s.function)}/events`, filter: s.filter, audience: audienceOf(s.function) })),
      schedules: eventing.schedules.map((s) => ({ name: s.name, url: `${urlOf(s.function)}/events`, schedule: s.schedule, data: s.data, audience: audienceOf(s.function) })),
      log: createLogger({ name: 'broker', level: config.LOG_LEVEL }),
      ingressAudience: BROKER_AUDIENCE,
      // As the chart's Triggers: dead letters stored by admit-batch, for operators to replay.
      deadLetterSink: { url: `${urlOf('admit-batch')}/dead-letters`, audience: audienceOf('admit-batch') },
    });
    const brokerUrl = await broker.listen(ports.broker);
    cleanups.push(() => broker.close());
    const sinkTokenFile = path.join(stateDir, 'oidc', 'token');
    const writeSinkToken = () => {
      mkdirSync(path.dirname(sinkTokenFile), { recursive: true, mode: 0o700 });
      writeFileSync(sinkTokenFile, broker.tokenFor(BROKER_AUDIENCE, 'system:serviceaccount:local:functions-to-broker-oidc-sources.knative.dev-sinkbinding'), { mode: 0o600 });
    };
    writeSinkToken();
    const renewSinkToken = setInterval(writeSinkToken, 20 * 60_000).unref();
    cleanups.push(async () => {
      clearInterval(renewSinkToken);
      rmSync(path.dirname(sinkTokenFile), { recursive: true, force: true });
    });

    // Each function and simulator, and the edge, runs as its own process, as its container would;
    // a process that dies is started again, as Kubernetes would.
    const launch = (name: string, script: string, env: Record<string, string>) => {
      const start = () => {
        const child = spawn(process.execPath, [script], {
          // Functions and simulators on 127.0.0.1 (HOST); the edge (edge-main, on every interface) is the one door.
          env: { ...process.env, ...env, PORT: String(ports[name]), HOST: '127.0.0.1', LOG_LEVEL: config.LOG_LEVEL },
          stdio: ['ignore', 'inherit', 'inherit'],
          detached: true, // its own process group: Ctrl-C reaches the stack, which stops it in order
        });
        children.set(name, child);
        pids.push(child.pid!);
        if (!('starting' in published)) writeState(); // a restarted process: record its pid
        child.once('exit', (code, signal) => {
          if (stopping) return;
          log.error({ process: name, code, signal }, `${name} exited; starting it again`);
          setTimeout(() => !stopping && start(), 1_000);
        });
      };
      start();
      cleanups.push(async () => {
        const child = children.get(name)!;
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 12_000);
        await exited;
        clearTimeout(timer);
      });
    };

    const secrets = localSecrets(stateDir);
    for (const [name, script] of Object.entries(SIMULATORS)) {
      launch(name, path.join(ROOT, 'simulators/dist', script), { DATABASE_URL: databaseUrl, PAYMENT_PROVIDER_API_KEY: secrets.PAYMENT_PROVIDER_API_KEY });
    }
    for (const fn of FUNCTIONS) {
      launch(fn, path.join(ROOT, 'functions', fn, 'dist/main.js'), {
        DATABASE_URL: databaseUrl,
        REDIS_URL: redisUrl,
        K_SINK: brokerUrl,
        EVENT_AUTH_ISSUER: broker.issuerUrl,
        EVENT_AUTH_JWKS_URL: `${brokerUrl}/openid/v1/jwks`,
        EVENT_AUTH_SUBJECT_PREFIX: 'system:serviceaccount:local:',
        EVENT_SINK_TOKEN_FILE: sinkTokenFile,
        TOKEN_SIGNING_KEYS: secrets.TOKEN_SIGNING_KEYS,
        ADMIN_TOKEN: secrets.ADMIN_TOKEN,
        LEGACY_URL: urlOf('legacy-cinema'), // read by reserve-seat
        PAYMENT_PROVIDER_URL: urlOf('payment-provider'), // read by process-payment
        PAYMENT_PROVIDER_API_KEY: secrets.PAYMENT_PROVIDER_API_KEY,
      });
    }
    await Promise.all([
      ...Object.keys(SIMULATORS).map((n) => waitReady(n, `${urlOf(n)}/healthz`)),
      ...FUNCTIONS.map((n) => waitReady(n, `${urlOf(n)}/readyz`)),
    ]);

    // The edge last, once every function answers, as the one public door: in a process of its own,
    // so that no request can take the broker or this supervisor down with it.
    const edgeUrl = `http://127.0.0.1:${config.PREMIERE_PORT}`;
    launch('edge', path.join(__dirname, 'edge-main.js'), { EDGE_FUNCTIONS: JSON.stringify(Object.fromEntries(FUNCTIONS.map((f) => [f, urlOf(f)]))) });
    const edge = children.get('edge')!;
    let edgeExited: (code: number | null) => void = () => undefined;
    try {
      await Promise.race([
        waitReady('edge', `${edgeUrl}${loadRoutes().edgeHealth}`),
        new Promise((_, reject) => edge.once('exit', (edgeExited = (code) => reject(new Error(`the edge stopped at start-up (exit code ${code})`))))),
      ]);
    } finally {
      edge.off('exit', edgeExited);
    }

    const state = {
      edge: edgeUrl,
      broker: brokerUrl,
      functions: Object.fromEntries(FUNCTIONS.map((f) => [f, urlOf(f)])),
      simulators: Object.fromEntries(Object.keys(SIMULATORS).map((s) => [s, urlOf(s)])),
      backing: { postgres: databaseUrl, redis: redisUrl },
    };
    writeState(state);
    const rows: [string, string][] = [
      ['edge (open this)', edgeUrl],
      ['broker', brokerUrl],
      ...FUNCTIONS.map((f): [string, string] => [f, urlOf(f)]),
      ...Object.keys(SIMULATORS).map((s): [string, string] => [`${s} (simulator)`, urlOf(s)]),
      ['postgres', maskPassword(databaseUrl)],
      ['redis', redisUrl],
    ];
    const width = Math.max(...rows.map(([n]) => n.length));
    process.stdout.write(
      `\npremiere is running\n\n${rows.map(([n, u]) => `  ${n.padEnd(width)}  ${u}`).join('\n')}\n\n` +
        `  the operators' page is ${edgeUrl}/admin; its token (ADMIN_TOKEN) is in ${path.relative(process.cwd(), secrets.file) || secrets.file}\n` +
        `  written to ${path.relative(process.cwd(), stateFile) || stateFile}; Ctrl-C stops everything\n\n`,
    );
  } catch (err) {
    log.debug({ err }, 'the stack could not start');
    process.stderr.write(`premiere: ${(err as Error).message}\n`);
    await stop(1);
  }
}

main().catch((err) => {
  process.stderr.write(`premiere: ${err instanceof ConfigError ? 'configuration error: ' : ''}${(err as Error).message}\n`);
  process.exit(1);
});
