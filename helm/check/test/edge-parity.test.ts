import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Hapi from '@hapi/hapi';
import YAML from 'yaml';
import { eventually } from '@premiere/testing';
import { findHelm, KUBE_VERSION } from '../src/helm';
import { findNginx, writeEdgeConfig } from '../src/nginx';

/**
 * The chart's NGINX edge and the local edge, side by side on the same requests: both must answer
 * each alike (the same status; the same function reached, with the same method and request
 * target), and neither may ever let /events or /metrics through, however spelled.
 *
 * NGINX runs the edge configuration `helm template` renders from the chart, unchanged but for what
 * only exists in a pod (see writeEdgeConfig: the ConfigMap's mount, the cache volume, the
 * cluster's DNS resolver) and for where it listens and where the functions are: `listen 8080`
 * becomes a free local port, each function's cluster host (premiere-<function>.default.svc…) the
 * address of its stand-in. The local edge is its own process (local-stack/dist/edge-main.js), as
 * `npm start` runs it. The stand-ins are hapi servers routed as a function's runtime is (default
 * router): /events, /metrics, /readyz and everything else, each recording what reached it, so
 * that what hapi itself would make of a forwarded URI (it decodes unreserved characters and
 * resolves dot segments) is part of the test.
 *
 * Needs helm and nginx (`apt-get install nginx-light`): skipped without them, except under CI
 * (CI=true), where it fails.
 */
const ROOT = path.resolve(__dirname, '../../..');
const RELEASE = 'premiere';
const FUNCTIONS = ['issue-token', 'admit-batch', 'reserve-seat', 'process-payment', 'render-catalog'];

const nginx = findNginx();
const helm = findHelm();
const parityTest = (nginx && helm) || process.env.CI ? describe : describe.skip;

interface Hit {
  function: string;
  method: string;
  /** The request target as the function received it. */
  url: string;
  /** The route hapi chose for it. */
  route: string;
}
interface Outcome {
  status: number;
  hits: Hit[];
}

/**
 * One request, sent byte for byte as given (a URI is one character per byte), on its own
 * connection, which the edge closes after answering (the client must not: NGINX takes a client
 * that stops sending for one that went away).
 */
function send(port: number, method: string, target: string, host = 'Host: premiere.example\r\n'): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let head = '';
    socket.setTimeout(10_000, () => socket.destroy(new Error(`no answer to ${method} ${target.slice(0, 80)}`)));
    socket.on('data', (chunk) => (head += chunk.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0)));
    socket.write(
      Buffer.from(`${method} ${target} HTTP/1.1\r\n${host}Content-Length: 0\r\nConnection: close\r\n\r\n`, 'latin1'),
    );
  });
}

/** An outcome in a line: long URIs shortened. */
const brief = (value: unknown) =>
  JSON.stringify(value, (_, v) => (typeof v === 'string' && v.length > 80 ? `${v.slice(0, 60)}… (${v.length})` : v));

const long = (n: number) => `/${'a'.repeat(n - 1)}`;

/** The requests both edges are sent (GET each; those in WRITES also POST and DELETE). */
const CORPUS: string[] = [
  // plain
  '/',
  '/movies/last-starfall?city=rio',
  '/favicon.ico',
  '/language/en?next=%2Fmovies%2Flast-starfall',
  '/waiting-room',
  '/waiting-room/x/join?a=1',
  '/admin',
  '/administrator',
  '/checkout',
  '/checkout/',
  '/edge/healthz',
  '/edge/healthz/',
  // percent-encoded
  '/metric%73',
  '/%65vents',
  '/%6D%65%74%72%69%63%73',
  '/ch%65ckout/x',
  '/checkout/%2e%2e/events',
  '/checkout/%2E%2E/%65vents',
  '/%2e/metrics',
  '/%2fevents',
  '/%2Fmetrics',
  '/checkout%2F..%2Fmetrics',
  '/checkout/%2fx',
  '/events%2f..%2fcheckout',
  '/x%00',
  '/events%00',
  '/x%25',
  '/%2565vents',
  '/metrics%25',
  '/x%zz',
  '/x%2',
  '/x%',
  '/x%%41',
  '/x%g0',
  '/%ff%fe',
  '/events%ff',
  '/metrics%3F',
  '/metrics%3f/',
  '/metrics%23',
  '/events%0a',
  '/events%0A/x',
  '/metrics%0d',
  '/events%09',
  '/metrics%20',
  '/x%3f/../events',
  '/x%23/../events',
  '/x%25/../metrics',
  '/x%2B',
  '/caf%C3%A9',
  '/%c0%ae%c0%ae/events',
  '/%e2%80%ae/metrics',
  // dotted
  '/a/../events',
  '/./metrics',
  '/checkout/../metrics',
  '/checkout/./',
  '/x/..',
  '/x/.',
  '/.',
  '/..',
  '/../events',
  '/.%2e/events',
  '/%2e%2e',
  '/%2e',
  '/a/b/../../metrics',
  '/a/b/..%2f..%2fmetrics',
  '/x/.../../events',
  '/checkout/..',
  '/waiting-room/..%2F..%2Fmetrics',
  '/admin/../checkout/x',
  '/a%2Fb/../events',
  '/checkout%2fx/../metrics',
  '/a%2F%2E%2E/events',
  '/checkout/..\\metrics',
  '/checkout/..;/metrics',
  '/checkout/.%2e/events',
  '/checkout/%2e./events',
  '/a/..?x',
  '/a/.#x',
  // doubled slashes
  '//events',
  '///metrics',
  '/admin//api',
  '//',
  '/checkout//x',
  '/checkout//..//events',
  '//_health//issue-token',
  '/events//',
  // health
  '/_health/issue-token',
  '/_health/issue-token?x=1#y',
  '/_health/%69ssue-token',
  '/_health/process-payment',
  '/_health/constructor',
  '/_health/__proto__',
  '/_health/toString',
  '/_health/hasOwnProperty',
  '/_health/valueOf',
  '/_health/',
  '/_health',
  '/_health/issue-token/',
  '/_health/nobody',
  '/_health/issue-token/..',
  '/_health/x/../render-catalog',
  '/_health/process-payment/../reserve-seat',
  // prototype names
  '/__proto__',
  '/constructor',
  '/toString',
  '/checkout/__proto__',
  '/waiting-room/constructor',
  // queries and fragments
  '/metrics?x',
  '/metrics#x',
  '/x?y#z',
  '/x#/../../events',
  '/events?',
  '/?/events',
  '/x?a=%00',
  '/x?%zz',
  '/checkout?../../events',
  // absolute URIs, and targets NGINX does not take
  'http://h/events',
  'http://h/checkout/x',
  'http://h',
  'http://h?x',
  'HTTP://H/metrics',
  'http://h..x/a',
  'http://[::1]/admin',
  'http://h:8080/%65vents',
  'http:/h/a',
  '*',
  'evil',
  '/x\x01',
  '/x\x7f',
  '/a b',
  // invalid UTF-8 and raw bytes
  '/\xff\xfe',
  '/\xc3\xa9',
  '/events\xff',
  '/checkout/\xc0\xae\xc0\xae/events',
  // very long: over NGINX's 1k first buffer, at and past its 8k one, past Node's default 16k and the local edge's 64k
  long(2000),
  long(6000),
  `/checkout/${'x/../'.repeat(1200)}events`,
  `/${'%2e%2e%2f'.repeat(500)}events`,
  long(8177),
  long(8178),
  long(20_000),
  long(100_000),
];
const WRITES = new Set([
  '/',
  '/%65vents',
  '/events%0a',
  '/checkout/%2e%2e/events',
  '//events',
  '/_health/issue-token',
  '/_health/constructor',
  '/checkout/x',
  '/waiting-room/x/join?a=1',
  'http://h/events',
  long(8178),
]);
const REQUESTS: [string, string][] = [
  ...CORPUS.map((t): [string, string] => ['GET', t]),
  ...[...WRITES].flatMap((t): [string, string][] => [
    ['POST', t],
    ['DELETE', t],
  ]),
  ['TRACE', '/'],
  ['CONNECT', 'premiere.example:443'],
  ['CONNECT', '/'],
];

parityTest('the chart’s NGINX edge and the local edge', () => {
  const hits: Hit[] = [];
  /** The X-Client-Address each request reached its function with. */
  const clients: string[] = [];
  /** The X-Forwarded-Proto each request reached its function with. */
  const protos: string[] = [];
  const stubs: Hapi.Server[] = [];
  let upstreams: Record<string, string>;
  const processes: ChildProcess[] = [];
  let dir: string;
  let nginxPort: number;
  let edgePort: number;

  beforeAll(async () => {
    if (!nginx || !helm)
      throw new Error(
        `${nginx ? 'helm' : 'nginx'} not found, and CI needs this test: apt-get install nginx-light; go install helm.sh/helm/v3/cmd/helm`,
      );
    for (const fn of FUNCTIONS) {
      const server = Hapi.server({ port: 0, host: '127.0.0.1' });
      const record = (request: Hapi.Request, h: Hapi.ResponseToolkit) => {
        hits.push({
          function: fn,
          method: request.method.toUpperCase(),
          url: request.raw.req.url!,
          route: request.route.path,
        });
        clients.push(String(request.headers['x-client-address']));
        protos.push(String(request.headers['x-forwarded-proto']));
        return h.response({ fn }).header('cache-control', 'no-store');
      };
      server.route([
        // Any method: whatever hapi would route to these paths counts as reaching them.
        { method: '*', path: '/events', handler: record },
        { method: '*', path: '/metrics', handler: record },
        { method: 'GET', path: '/readyz', handler: record },
        { method: '*', path: '/{any*}', handler: record },
      ]);
      await server.start();
      stubs.push(server);
    }
    upstreams = Object.fromEntries(FUNCTIONS.map((fn, i) => [fn, `127.0.0.1:${stubs[i].info.port}`]));
    dir = mkdtempSync(path.join(os.tmpdir(), 'premiere-edge-parity-'));
    chmodSync(dir, 0o755); // nginx's workers (nobody, under root) reach the edges' folders inside
    nginxPort = await startNginx(path.join(dir, 'defaults'));
    edgePort = await startLocalEdge();
  }, 60_000);

  /** The local edge (its own process, as `npm start` runs it, with `env` too) in front of the stubs; its port once it answers. */
  async function startLocalEdge(env: Record<string, string> = {}): Promise<number> {
    const port = await freeLocalPort();
    const errors = run(process.execPath, [path.join(ROOT, 'local-stack/dist/edge-main.js')], {
      PATH: process.env.PATH,
      PORT: String(port),
      LOG_LEVEL: 'silent',
      EDGE_FUNCTIONS: JSON.stringify(Object.fromEntries(FUNCTIONS.map((fn) => [fn, `http://${upstreams[fn]}`]))),
      ...env,
    });
    await eventually(async () => (await send(port, 'GET', '/edge/healthz').catch(() => 0)) === 200, 10_000, 100).catch(
      () => {
        throw new Error(`the local edge did not start: ${errors()}`);
      },
    );
    return port;
  }

  function run(command: string, args: string[], env?: NodeJS.ProcessEnv) {
    const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (c) => (stderr += c));
    processes.push(child);
    return () => stderr;
  }

  /** The chart's edge (rendered with `values`) in a real nginx in front of the stubs; its port once it answers. */
  async function startNginx(prefix: string, values: string[] = []): Promise<number> {
    const rendered = execFileSync(
      helm!,
      [
        'template',
        RELEASE,
        path.join(ROOT, 'helm/premiere'),
        '--kube-version',
        KUBE_VERSION,
        '--show-only',
        'templates/edge-config.yaml',
        ...values,
      ],
      { encoding: 'utf8' },
    );
    const configMap = YAML.parseAllDocuments(rendered)
      .map((d) => d.toJS())
      .find((d) => d?.kind === 'ConfigMap');
    mkdirSync(prefix, { recursive: true });
    const port = await freeLocalPort();
    const conf = writeEdgeConfig(prefix, configMap.data, [
      ['listen 8080;', `listen 127.0.0.1:${port};`],
      ...FUNCTIONS.map((fn): [string, string] => [`${RELEASE}-${fn}.default.svc.cluster.local`, upstreams[fn]]),
    ]);
    const errors = run(nginx!, ['-p', prefix, '-c', conf, '-e', 'stderr', '-g', 'daemon off;']);
    await eventually(async () => (await send(port, 'GET', '/edge/healthz').catch(() => 0)) === 200, 10_000, 100).catch(
      () => {
        throw new Error(`the nginx edge did not start: ${errors()}`);
      },
    );
    return port;
  }

  afterAll(async () => {
    for (const child of processes) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
    }
    await Promise.all(stubs.map((s) => s.stop()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function outcome(port: number, method: string, target: string, host?: string): Promise<Outcome> {
    hits.length = 0;
    const status = await send(port, method, target, host);
    return { status, hits: [...hits] };
  }

  it('answers every request of the corpus alike', async () => {
    const differences: string[] = [];
    for (const [method, target] of REQUESTS) {
      const chart = await outcome(nginxPort, method, target);
      const local = await outcome(edgePort, method, target);
      if (JSON.stringify(chart) !== JSON.stringify(local)) {
        differences.push(`${method} ${brief(target)}: nginx ${brief(chart)}, local ${brief(local)}`);
      }
    }
    expect(differences).toEqual([]);
  }, 120_000);

  it('answers odd Host headers alike', async () => {
    const hosts = [
      '',
      'Host: a..b\r\n',
      'Host: a/b\r\n',
      'Host: .premiere.example.\r\n',
      'Host: [::1]:8080\r\n',
      'Host: premiere.example:x\r\n',
      'Host: a\r\nHost: b\r\n',
      'Host: \r\n',
    ];
    // CONNECT too: Node hands it to the edge before checking the Host header, as it does for GET.
    for (const [method, target] of [
      ['GET', '/movies/x'],
      ['CONNECT', '/'],
    ])
      for (const host of hosts) {
        const chart = await outcome(nginxPort, method, target, host);
        const local = await outcome(edgePort, method, target, host);
        expect([method, host, local]).toEqual([method, host, chart]);
      }
  });

  it('never lets anything reach a function’s /events or /metrics', async () => {
    const reached: string[] = [];
    for (const [method, target] of REQUESTS) {
      for (const port of [nginxPort, edgePort]) {
        const { hits: got } = await outcome(port, method, target);
        for (const hit of got)
          if (hit.route === '/events' || hit.route === '/metrics')
            reached.push(
              `${port === nginxPort ? 'nginx' : 'local'}: ${method} ${brief(target)} → ${hit.function} ${hit.route}`,
            );
      }
    }
    expect(reached).toEqual([]);
  }, 120_000);

  it('tells the functions the visitor’s address, whatever the client claims; behind edge.trustedProxies, the one they forwarded', async () => {
    const claims = 'Host: premiere.example\r\nX-Client-Address: 198.51.100.66\r\nX-Forwarded-For: 203.0.113.5\r\n';
    for (const port of [nginxPort, edgePort]) {
      clients.length = 0;
      expect(await send(port, 'POST', '/waiting-room/api/shows/x/join', claims)).toBe(200);
      expect(clients).toEqual(['127.0.0.1']); // the connection's: a per-address limit cannot be dodged
    }
    const behindBalancer = await startNginx(path.join(dir, 'trusted'), ['--set', 'edge.trustedProxies={127.0.0.1/32}']);
    clients.length = 0;
    expect(await send(behindBalancer, 'POST', '/waiting-room/api/shows/x/join', claims)).toBe(200);
    expect(clients).toEqual(['203.0.113.5']);
  });

  it('tells the functions the scheme the visitor used: the trusted proxies’ X-Forwarded-Proto, never a client’s; edge.forwardedProto forces it', async () => {
    const claims = 'Host: premiere.example\r\nX-Forwarded-Proto: https\r\n';
    const proto = async (port: number, head = claims) => {
      protos.length = 0;
      expect(await send(port, 'POST', '/waiting-room/api/shows/x/join', head)).toBe(200);
      return protos;
    };
    // No trusted proxy: a client cannot claim https (it would get Secure cookies over http, and a
    // client's word is not the edge's).
    for (const port of [nginxPort, edgePort]) expect(await proto(port)).toEqual(['http']);
    // TLS ends at a load balancer listed in edge.trustedProxies: its word is taken, http or https.
    const behindTls = await startNginx(path.join(dir, 'trusted-tls'), ['--set', 'edge.trustedProxies={127.0.0.1/32}']);
    expect(await proto(behindTls)).toEqual(['https']);
    expect(await proto(behindTls, 'Host: premiere.example\r\nX-Forwarded-Proto: http\r\n')).toEqual(['http']);
    expect(await proto(behindTls, 'Host: premiere.example\r\n')).toEqual(['http']); // none sent: the edge's own
    expect(await proto(behindTls, 'Host: premiere.example\r\nX-Forwarded-Proto: gopher\r\n')).toEqual(['http']);
    // Trusted proxies elsewhere: this client is not one of them.
    const elsewhere = await startNginx(path.join(dir, 'untrusted-tls'), ['--set', 'edge.trustedProxies={10.0.0.0/8}']);
    expect(await proto(elsewhere)).toEqual(['http']);
    // A TLS ingress whose address is not known: the operator says every visitor came over https.
    const forced = await startNginx(path.join(dir, 'forced-tls'), ['--set', 'edge.forwardedProto=https']);
    const forcedLocal = await startLocalEdge({ EDGE_FORWARDED_PROTO: 'https' });
    for (const port of [forced, forcedLocal])
      expect(await proto(port, 'Host: premiere.example\r\nX-Forwarded-Proto: http\r\n')).toEqual(['https']);
  });

  it('is not a test that passes everything: what should arrive does, its path as NGINX read it', async () => {
    for (const port of [nginxPort, edgePort]) {
      const hit = (fn: string, method: string, url: string, route = '/{any*}') => ({
        status: 200,
        hits: [{ function: fn, method, url, route }],
      });
      expect(await outcome(port, 'POST', '/waiting-room/x/join?a=1')).toEqual(
        hit('issue-token', 'POST', '/waiting-room/x/join?a=1'),
      );
      expect(await outcome(port, 'GET', '/_health/%69ssue-token?x=1#y')).toEqual(
        hit('issue-token', 'GET', '/readyz?x=1', '/readyz'),
      );
      expect(await outcome(port, 'GET', '/ch%65ckout/../admin//x%20y?q=%2F')).toEqual(
        hit('admit-batch', 'GET', '/admin/x%20y?q=%2F'),
      );
      expect(await outcome(port, 'POST', '/a%2Fb/../events')).toEqual(hit('render-catalog', 'POST', '/a/events'));
      expect(await outcome(port, 'GET', '/_health/process-payment')).toEqual({ status: 404, hits: [] });
      expect(await outcome(port, 'GET', '/caf\xc3\xa9')).toEqual({ status: 400, hits: [] });
    }
  });
});

function freeLocalPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
