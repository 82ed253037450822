import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRedis, Redis } from '@premiere/runtime';
import { eventually } from '@premiere/testing';

/**
 * A Redis primary dies and Sentinel promotes its replica: the functions' client, connected through
 * the sentinels as the chart's redis.replication runs it, writes to the new primary without the
 * process crashing. And a client by URL (a managed Redis whose address moves to the new primary)
 * reconnects when the node it is on has become a replica and refuses writes (READONLY). And a
 * managed Redis over TLS (rediss://) signed by a private CA, which Node is given by
 * NODE_EXTRA_CA_CERTS.
 *
 * Needs redis-server, which runs Sentinel too (`redis-server <conf> --sentinel`; Debian's is built
 * with TLS), and openssl: skipped without them, except under CI (CI=true), where they fail.
 */
const PASSWORD = 'failover-test-password';
const MASTER = 'premiere';

function onPath(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    try {
      accessSync(path.join(dir, binary), constants.X_OK);
      return path.join(dir, binary);
    } catch {
      /* not here */
    }
  }
  return undefined;
}
const redisServer = onPath('redis-server');
if (!redisServer && !process.env.CI)
  console.warn('redis-failover.test.ts skipped: redis-server is not on PATH (apt-get install redis-server)');
const failoverTest = redisServer || process.env.CI ? describe : describe.skip;

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

const dirs: string[] = [];
const children: ChildProcess[] = [];
const clients: Redis[] = [];

/** A redis-server (or, with a config file and --sentinel, a Sentinel) on its own port and folder. */
async function start(
  args: (dir: string, port: number) => string[],
): Promise<{ port: number; dir: string; child: ChildProcess }> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'premiere-failover-'));
  dirs.push(dir);
  const child = spawn(redisServer ?? 'redis-server', args(dir, port), { stdio: 'ignore' });
  children.push(child);
  await direct(port).ping();
  return { port, dir, child };
}

const server = (replicaOf?: number) => (dir: string, port: number) => [
  ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
  ...['--requirepass', PASSWORD, '--masterauth', PASSWORD],
  ...(replicaOf ? ['--replicaof', '127.0.0.1', String(replicaOf)] : []),
];

/** An administrator's connection to one node or sentinel: no prefix, commands wait for it. */
function direct(port: number): Redis {
  const redis = new Redis({
    host: '127.0.0.1',
    port,
    password: PASSWORD,
    retryStrategy: () => 50,
    disconnectTimeout: 10,
  });
  redis.on('error', () => undefined);
  clients.push(redis);
  return redis;
}

afterAll(async () => {
  // Clients first, while their servers still answer, so that no connection is left to time out.
  // (One waiting to reconnect to a killed server has none: it just stops.)
  await Promise.all(
    clients.map((c) =>
      ['end', 'reconnecting'].includes(c.status)
        ? c.disconnect()
        : new Promise((r) => (c.once('end', r), c.disconnect())),
    ),
  );
  await Promise.all(
    children
      .filter((c) => c.exitCode === null && c.signalCode === null)
      .map((c) => new Promise((r) => (c.once('exit', r), c.kill('SIGKILL')))),
  );
  if (!process.env.KEEP_FAILOVER_DIRS) for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

failoverTest('Redis failover', () => {
  it('through Sentinel: the primary killed, the replica promoted, writes go on to it', async () => {
    const primary = await start(server());
    const replica = await start(server(primary.port));
    const admin = direct(replica.port);
    await eventually(async () => /master_link_status:up/.test(await admin.info('replication')));

    const sentinel = await start((dir, port) => {
      const conf = path.join(dir, 'sentinel.conf');
      writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `logfile ${path.join(dir, 'sentinel.log')}`,
          `requirepass ${PASSWORD}`,
          `sentinel monitor ${MASTER} 127.0.0.1 ${primary.port} 1`,
          `sentinel auth-pass ${MASTER} ${PASSWORD}`,
          // Quick to call the primary down, so that the test is short; the chart's default is 5 s.
          `sentinel down-after-milliseconds ${MASTER} 1000`,
          // A failed attempt is tried again after twice this.
          `sentinel failover-timeout ${MASTER} 3000`,
          '',
        ].join('\n'),
      );
      return [conf, '--sentinel'];
    });
    const sentinels = direct(sentinel.port);
    // The sentinel has found the replica (from the primary's INFO) and sees it in sync.
    await eventually(
      async () => {
        const replicas = (await sentinels.call('SENTINEL', 'REPLICAS', MASTER)) as string[][];
        return replicas.some(
          (r) =>
            r.includes(String(replica.port)) &&
            r[r.indexOf('flags') + 1] === 'slave' &&
            r[r.indexOf('master-link-status') + 1] === 'ok',
        );
      },
      20_000,
      100,
    );

    // The function's client: REDIS_URL's host is not used, only its password.
    const redis = createRedis({
      url: `redis://:${PASSWORD}@127.0.0.1:1`,
      keyPrefix: 'premiere:',
      sentinels: [{ host: '127.0.0.1', port: sentinel.port }],
      sentinelMaster: MASTER,
      sentinelPassword: PASSWORD,
    });
    clients.push(redis);
    await eventually(() => redis.status === 'ready');
    await redis.set('before', 'kept');
    expect(await direct(primary.port).get('premiere:before')).toBe('kept');
    await direct(primary.port).wait(1, 5_000); // replicated before the primary dies

    primary.child.kill('SIGKILL');
    // Writes fail (each answered at once: the client does not queue) until the sentinel promotes
    // the replica, then succeed there.
    const failures: string[] = [];
    await eventually(
      () =>
        redis.set('after', 'written').then(
          () => true,
          (err: Error) => (failures.push(err.message), false),
        ),
      45_000,
      100,
    ).catch((err: Error) => {
      throw new Error(
        `${err.message}\nlast client error: ${failures.at(-1)}\nsentinel's log:\n${readFileSync(path.join(sentinel.dir, 'sentinel.log'), 'utf8')}`,
      );
    });
    expect(failures.length).toBeGreaterThan(0);
    expect(await sentinels.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER)).toEqual([
      '127.0.0.1',
      String(replica.port),
    ]);
    expect(await admin.call('ROLE').then((r) => (r as string[])[0])).toBe('master');
    expect(await admin.mget('premiere:before', 'premiere:after')).toEqual(['kept', 'written']);
  }, 90_000);

  it('through Sentinel: the sentinels announce the new primary while the client is asking one of them for it, and it still reconnects', async () => {
    // ioredis's failover detector (subscribed to +switch-master since the first connection) cuts a
    // connection attempt short when the announcement comes while the attempt waits on a sentinel's
    // answer; the attempt then fails as "Connection is closed" and the client stops for good
    // ('end'), every command refused until the process restarts. Made certain here: the sentinel
    // asked first is stopped (SIGSTOP) while the other two fail the primary over, then let go.
    const primary = await start(server());
    const replica = await start(server(primary.port));
    const admin = direct(replica.port);
    await eventually(async () => /master_link_status:up/.test(await admin.info('replication')));
    const sentinels = [];
    for (let i = 0; i < 3; i++) {
      sentinels.push(
        await start((dir, port) => {
          const conf = path.join(dir, 'sentinel.conf');
          writeFileSync(
            conf,
            [
              `port ${port}`,
              'bind 127.0.0.1',
              `dir ${dir}`,
              `requirepass ${PASSWORD}`,
              `sentinel monitor ${MASTER} 127.0.0.1 ${primary.port} 2`,
              `sentinel auth-pass ${MASTER} ${PASSWORD}`,
              `sentinel down-after-milliseconds ${MASTER} 1000`,
              `sentinel failover-timeout ${MASTER} 3000`,
              '',
            ].join('\n'),
          );
          return [conf, '--sentinel'];
        }),
      );
    }
    const [asked, ...others] = sentinels;
    // Every sentinel knows the other two (from the primary's hello channel), and the replica.
    await eventually(
      async () => {
        for (const s of sentinels) {
          const [master] = (await direct(s.port).call('SENTINEL', 'MASTERS')) as string[][];
          if (
            master[master.indexOf('num-other-sentinels') + 1] !== '2' ||
            master[master.indexOf('num-slaves') + 1] !== '1'
          )
            return false;
        }
        return true;
      },
      30_000,
      200,
    );

    const redis = createRedis({
      url: `redis://:${PASSWORD}@127.0.0.1:1`,
      keyPrefix: 'premiere:',
      sentinels: sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })),
      sentinelMaster: MASTER,
      sentinelPassword: PASSWORD,
    });
    clients.push(redis);
    await eventually(() => redis.status === 'ready');
    await redis.set('before', 'kept');
    await direct(primary.port).wait(1, 5_000);

    asked.child.kill('SIGSTOP'); // takes connections, answers nothing
    try {
      primary.child.kill('SIGKILL');
      // The other two promote the replica and announce it, while the client's next attempt waits on the stopped one.
      await eventually(
        async () => {
          const addr = (await direct(others[0].port).call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER)) as string[];
          return addr[1] === String(replica.port);
        },
        30_000,
        100,
      );
      await new Promise((r) => setTimeout(r, 500)); // the announcement heard
    } finally {
      asked.child.kill('SIGCONT');
    }
    const failures: string[] = [];
    await eventually(
      () =>
        redis.set('after', 'written').then(
          () => true,
          (err: Error) => (failures.push(`${redis.status}: ${err.message}`), false),
        ),
      30_000,
      100,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; the client is ${redis.status}, its last error: ${failures.at(-1)}`);
    });
    expect(await admin.mget('premiere:before', 'premiere:after')).toEqual(['kept', 'written']);
  }, 120_000);

  it('by URL: a node that became a replica refuses a write with READONLY, and the client reconnects', async () => {
    const node = await start(server());
    const other = await start(server());
    const redis = createRedis({ url: `redis://:${PASSWORD}@127.0.0.1:${node.port}`, keyPrefix: 'premiere:' });
    clients.push(redis);
    await eventually(() => redis.status === 'ready');
    const before = await redis.client('ID');

    // What a managed Redis's failover does to the old primary, its address not yet moved.
    await direct(node.port).replicaof('127.0.0.1', other.port);
    await expect(redis.set('k', 'v')).rejects.toThrow(/^READONLY/);
    // A new connection: behind a managed Redis's address, that is the new primary.
    await eventually(async () => redis.status === 'ready' && (await redis.client('ID')) !== before);
  }, 30_000);

  // Needs openssl for the certificates: skipped without it, except under CI.
  (onPath('openssl') || process.env.CI ? it : it.skip)(
    'by URL over TLS (rediss://), trusting a private CA through NODE_EXTRA_CA_CERTS',
    async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'premiere-tls-'));
      dirs.push(dir);
      const f = (name: string) => path.join(dir, name);
      const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
      openssl(
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        f('ca.key'),
        '-out',
        f('ca.crt'),
        '-subj',
        '/CN=premiere test CA',
        '-days',
        '1',
      );
      openssl(
        'req',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        f('redis.key'),
        '-out',
        f('redis.csr'),
        '-subj',
        '/CN=localhost',
      );
      writeFileSync(f('san.ext'), 'subjectAltName=DNS:localhost\n');
      openssl(
        'x509',
        '-req',
        '-in',
        f('redis.csr'),
        '-CA',
        f('ca.crt'),
        '-CAkey',
        f('ca.key'),
        '-CAcreateserial',
        '-out',
        f('redis.crt'),
        '-days',
        '1',
        '-extfile',
        f('san.ext'),
      );
      const port = await freePort();
      const child = spawn(
        redisServer ?? 'redis-server',
        [
          ...[
            '--port',
            '0',
            '--tls-port',
            String(port),
            '--bind',
            '127.0.0.1',
            '--save',
            '',
            '--appendonly',
            'no',
            '--dir',
            dir,
            '--requirepass',
            PASSWORD,
          ],
          ...[
            '--tls-cert-file',
            f('redis.crt'),
            '--tls-key-file',
            f('redis.key'),
            '--tls-ca-cert-file',
            f('ca.crt'),
            '--tls-auth-clients',
            'no',
          ],
        ],
        { stdio: 'ignore' },
      );
      children.push(child);
      // A function's process: the CA is read when Node starts, as a pod's environment would give it.
      const runtime = path.resolve(__dirname, '../dist');
      const script = `
      const { createRedis } = require(${JSON.stringify(runtime)});
      const redis = createRedis({ url: 'rediss://:${PASSWORD}@localhost:${port}', keyPrefix: 'premiere:' });
      const attempt = () => redis.set('over-tls', 'yes').then(() => redis.get('over-tls')).then(
        (v) => { console.log(v); redis.disconnect(); },
        () => setTimeout(attempt, 100),
      );
      attempt();
      setTimeout(() => process.exit(2), Number(process.env.GIVE_UP_MS)).unref();`;
      const run = (env: NodeJS.ProcessEnv) =>
        spawnSync(process.execPath, ['-e', script], {
          env: { PATH: process.env.PATH, ...env },
          encoding: 'utf8',
          timeout: 30_000,
        });
      expect(run({ NODE_EXTRA_CA_CERTS: f('ca.crt'), GIVE_UP_MS: '20000' }).stdout.trim()).toBe('yes');
      expect(run({ GIVE_UP_MS: '3000' }).status).toBe(2); // not trusted without the CA: never connects
    },
    60_000,
  );
});
