import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ConfigError, createLogger, listFunctions, loadConfig, migrate, type ConfigOf } from '@premiere/runtime';
import { freePort, startEmbeddedPostgres, startRedisServer, type BackingService } from './backing';
import { loadRoutes } from './declarations';
import { loadDemoCatalog } from './demo-catalog';
import { stackEnv } from './env';
import { brokerIssuer, writeBrokerKey, writeSinkToken } from './oidc';
import { localSecrets } from './secrets';
import { nodeProgram, Supervisor } from './supervise';

const ROOT = path.resolve(__dirname, '../..');
const FUNCTIONS = listFunctions();
const SIMULATORS = { 'legacy-cinema': 'legacy-cinema-main.js', 'payment-provider': 'payment-provider-main.js' };

const log = createLogger({ name: 'local-stack' });
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
      reject(
        err.code === 'EADDRINUSE' ? new Error(`port ${port} is in use: stop what uses it or set PREMIERE_PORT`) : err,
      ),
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

/** What one run of the stack holds: its state file, its supervisor, and what to undo on stop. */
interface Run {
  config: ConfigOf<typeof stackEnv>;
  stateDir: string;
  stateFile: string;
  supervisor: Supervisor;
  /** Undone in reverse order on stop. */
  cleanups: (() => Promise<void>)[];
  /** Temporary folders of the backing services, for a later stack to reap. */
  dirs: string[];
}

/** Redis and PostgreSQL: the configured ones, else started here and restarted like every other part, on the same port with the same data. */
async function startBacking(run: Run): Promise<{ redisUrl: string; databaseUrl: string }> {
  const keepBacking = async (name: string, service: BackingService) => {
    run.dirs.push(...service.dirs);
    run.cleanups.push(await run.supervisor.keep(name, { start: service.restart, stop: service.stop }, service.process));
  };
  // Redis first: it is the one that may be missing, and it starts in a blink.
  let redisUrl = run.config.REDIS_URL;
  if (!redisUrl) {
    const redis = await startRedisServer();
    await keepBacking('redis', redis);
    redisUrl = redis.url;
  }
  let databaseUrl = run.config.DATABASE_URL;
  if (!databaseUrl) {
    log.info('starting an embedded PostgreSQL');
    const pg: BackingService = await startEmbeddedPostgres((line) => log.debug({ postgres: line }));
    await keepBacking('postgres', pg);
    databaseUrl = pg.url;
  }
  return { redisUrl, databaseUrl };
}

/** Every function's schema migrated, and the demo catalog loaded. */
async function prepareDatabase(run: Run, databaseUrl: string) {
  await migrate(databaseUrl, { log: (line) => log.info(line) });
  const { shows } = await loadDemoCatalog(databaseUrl, new Date(), run.config.DEMO_SALES_OPEN_SECONDS * 1000);
  log.info({ shows }, 'demo catalog loaded');
}

/** Ports fixed for the stack's life, so that a part started again is where the others expect it. */
async function choosePorts(run: Run): Promise<Record<string, number>> {
  const names = [...FUNCTIONS, ...Object.keys(SIMULATORS), 'broker'];
  const ports: Record<string, number> = Object.fromEntries(
    await Promise.all(names.map(async (n) => [n, await freePort()] as const)),
  );
  ports.edge = run.config.PREMIERE_PORT;
  return ports;
}

/**
 * Sender identity as on a cluster with Knative's authentication-oidc: the broker signs every
 * delivery for its function's audience and takes only events carrying its token, which the
 * functions read from a file, as a SinkBinding mounts it (renewed well before it runs out). The
 * broker's key is made here and given to every start of the broker, so that one started again
 * signs as before and takes the token the functions hold.
 */
function makeSenderIdentity(run: Run, brokerUrl: string) {
  const oidcDir = path.join(run.stateDir, 'oidc');
  run.cleanups.push(async () => rmSync(oidcDir, { recursive: true, force: true }));
  const brokerKeyFile = path.join(oidcDir, 'broker-key.pem');
  writeBrokerKey(brokerKeyFile);
  const issuer = brokerIssuer(brokerUrl, brokerKeyFile);
  const sinkTokenFile = path.join(oidcDir, 'token');
  writeSinkToken(sinkTokenFile, issuer);
  const renewSinkToken = setInterval(() => writeSinkToken(sinkTokenFile, issuer), 20 * 60_000).unref();
  run.cleanups.push(async () => clearInterval(renewSinkToken));
  return { brokerKeyFile, issuer, sinkTokenFile };
}

/**
 * The broker, the simulators and the functions, each its own process as its container would be
 * (on 127.0.0.1: the edge is the one door); a process that dies is started again, as Kubernetes
 * would. Resolves once each answers its health check.
 */
async function startParts(
  run: Run,
  urlOf: (name: string) => string,
  ports: Record<string, number>,
  backing: { redisUrl: string; databaseUrl: string },
) {
  const launch = async (name: string, script: string, env: Record<string, string>) => {
    const program = nodeProgram(script, {
      ...process.env,
      ...env,
      PORT: String(ports[name]),
      HOST: '127.0.0.1',
      LOG_LEVEL: run.config.LOG_LEVEL,
    });
    run.cleanups.push(await run.supervisor.keep(name, program));
  };
  const functionUrls = JSON.stringify(Object.fromEntries(FUNCTIONS.map((f) => [f, urlOf(f)])));
  const brokerUrl = urlOf('broker');
  const { brokerKeyFile, issuer, sinkTokenFile } = makeSenderIdentity(run, brokerUrl);
  await launch('broker', path.join(__dirname, 'broker-main.js'), {
    BROKER_FUNCTIONS: functionUrls,
    BROKER_SIGNING_KEY_FILE: brokerKeyFile,
  });

  const secrets = localSecrets(run.stateDir);
  for (const [name, script] of Object.entries(SIMULATORS)) {
    await launch(name, path.join(ROOT, 'simulators/dist', script), {
      DATABASE_URL: backing.databaseUrl,
      PAYMENT_PROVIDER_API_KEY: secrets.PAYMENT_PROVIDER_API_KEY,
    });
  }
  for (const fn of FUNCTIONS) {
    await launch(fn, path.join(ROOT, 'functions', fn, 'dist/main.js'), {
      DATABASE_URL: backing.databaseUrl,
      REDIS_URL: backing.redisUrl,
      K_SINK: brokerUrl,
      EVENT_AUTH_ISSUER: issuer.url,
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
    waitReady('broker', `${brokerUrl}/healthz`),
    ...Object.keys(SIMULATORS).map((n) => waitReady(n, `${urlOf(n)}/healthz`)),
    ...FUNCTIONS.map((n) => waitReady(n, `${urlOf(n)}/readyz`)),
  ]);
  return { functionUrls, secrets };
}

/**
 * The edge last, once every function answers, as the one public door: in a process of its own, so
 * that no request can take the broker or this supervisor down with it. Kept (restarted when it
 * dies) from the start, but a start-up failure stops the stack at once.
 */
async function startEdge(run: Run, port: number, functionUrls: string): Promise<string> {
  const edgeUrl = `http://127.0.0.1:${run.config.PREMIERE_PORT}`;
  const edge = nodeProgram(path.join(__dirname, 'edge-main.js'), {
    ...process.env,
    EDGE_FUNCTIONS: functionUrls,
    PORT: String(port),
    LOG_LEVEL: run.config.LOG_LEVEL,
  });
  const edgeProcess = await edge.start();
  let edgeExited: (code: number | null) => void = () => undefined;
  try {
    run.cleanups.push(await run.supervisor.keep('edge', edge, edgeProcess));
    await Promise.race([
      waitReady('edge', `${edgeUrl}${loadRoutes().edgeHealth}`),
      new Promise((_, reject) =>
        edgeProcess.once(
          'exit',
          (edgeExited = (code) => reject(new Error(`the edge stopped at start-up (exit code ${code})`))),
        ),
      ),
    ]);
  } finally {
    edgeProcess.off('exit', edgeExited);
  }
  return edgeUrl;
}

/** What runs where, for the person who typed `npm start`. */
function announce(rows: [string, string][], edgeUrl: string, secretsFile: string, stateFile: string) {
  const width = Math.max(...rows.map(([n]) => n.length));
  process.stdout.write(
    `\npremiere is running\n\n${rows.map(([n, u]) => `  ${n.padEnd(width)}  ${u}`).join('\n')}\n\n` +
      `  the operators' page is ${edgeUrl}/admin; its token (ADMIN_TOKEN) is in ${path.relative(process.cwd(), secretsFile) || secretsFile}\n` +
      `  written to ${path.relative(process.cwd(), stateFile) || stateFile}; Ctrl-C stops everything\n\n`,
  );
}

async function main() {
  const config = loadConfig(stackEnv);
  const stateDir = path.resolve(config.PREMIERE_STATE_DIR);
  const stateFile = path.join(stateDir, 'stack.json');
  reapStale(stateFile);
  mkdirSync(stateDir, { recursive: true });

  let stopping = false;
  let published: object = { starting: true };
  // Every part's current pid by name (for tools such as npm run chaos); `pids` the same, to reap.
  const supervisor = new Supervisor(log, () => !stopping && writeState());
  const run: Run = { config, stateDir, stateFile, supervisor, cleanups: [], dirs: [] };
  function writeState(state: object = published) {
    published = state;
    const processes = supervisor.processes;
    // Whole or not at all (a new file renamed over it): tools read it while parts restart.
    writeFileSync(
      `${stateFile}.new`,
      `${JSON.stringify({ ...state, processes, supervisor: process.pid, pids: Object.values(processes), dirs: run.dirs }, null, 2)}\n`,
    );
    renameSync(`${stateFile}.new`, stateFile);
  }
  // Until everything is up, record what runs so a killed start-up can be reaped next time.
  writeState();

  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    supervisor.halt();
    log.info('stopping the stack');
    for (const fn of run.cleanups.reverse()) await fn().catch((err) => log.warn({ err }, 'cleanup step failed'));
    rmSync(stateFile, { force: true });
    log.info('stopped');
    log.flush();
    process.exit(code);
  };
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));

  try {
    await checkPortFree(config.PREMIERE_PORT);
    const backing = await startBacking(run);
    await prepareDatabase(run, backing.databaseUrl);
    const ports = await choosePorts(run);
    const urlOf = (name: string) => `http://127.0.0.1:${ports[name]}`;
    const { functionUrls, secrets } = await startParts(run, urlOf, ports, backing);
    const edgeUrl = await startEdge(run, ports.edge, functionUrls);

    writeState({
      edge: edgeUrl,
      broker: urlOf('broker'),
      functions: Object.fromEntries(FUNCTIONS.map((f) => [f, urlOf(f)])),
      simulators: Object.fromEntries(Object.keys(SIMULATORS).map((s) => [s, urlOf(s)])),
      backing: { postgres: backing.databaseUrl, redis: backing.redisUrl },
    });
    announce(
      [
        ['edge (open this)', edgeUrl],
        ['broker', urlOf('broker')],
        ...FUNCTIONS.map((f): [string, string] => [f, urlOf(f)]),
        ...Object.keys(SIMULATORS).map((s): [string, string] => [`${s} (simulator)`, urlOf(s)]),
        ['postgres', maskPassword(backing.databaseUrl)],
        ['redis', backing.redisUrl],
      ],
      edgeUrl,
      secrets.file,
      stateFile,
    );
  } catch (err) {
    log.debug({ err }, 'the stack could not start');
    process.stderr.write(`premiere: ${(err as Error).message}\n`);
    await stop(1);
  }
}

main().catch((err) => {
  process.stderr.write(
    `premiere: ${err instanceof ConfigError ? 'configuration error: ' : ''}${(err as Error).message}\n`,
  );
  process.exit(1);
});
