import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { createLogger } from '@premiere/runtime';
import { captureLogs, eventually } from '@premiere/testing';
import { freePort } from '../src/backing';
import { loadRoutes } from '../src/declarations';
import { createEdge, decide } from '../src/edge';

const servers: http.Server[] = [];
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function listen(server: http.Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

describe('the local edge', () => {
  it('proxies each path to its function with a request id and forwarding headers, and says when a function is down', async () => {
    const seen: http.IncomingHttpHeaders[] = [];
    const waitingRoom = await listen(
      http.createServer((req, res) => {
        seen.push(req.headers);
        res.writeHead(201, { 'content-type': 'application/json', 'set-cookie': 'session=abc; HttpOnly' });
        res.end(JSON.stringify({ method: req.method, url: req.url }));
      }),
    );
    const down = `http://127.0.0.1:${await freePort()}`;
    const edge = await listen(
      createEdge({
        routes: loadRoutes(),
        functions: { 'issue-token': waitingRoom, 'render-catalog': down },
        log: createLogger({ name: 'edge' }, captureLogs().stream),
      }),
    );

    const res = await fetch(`${edge}/waiting-room/show-1/join?lang=pt`, {
      method: 'POST',
      body: 'x',
      headers: { 'x-request-id': 'rid-1' },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-request-id')).toBe('rid-1'); // echoed to the client
    expect(res.headers.get('set-cookie')).toBe('session=abc; HttpOnly');
    expect(await res.json()).toEqual({ method: 'POST', url: '/waiting-room/show-1/join?lang=pt' });
    expect(seen[0]).toMatchObject({
      'x-request-id': 'rid-1',
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-proto': 'http',
    });

    await fetch(`${edge}/waiting-room`);
    expect(seen[1]['x-request-id']).toMatch(/^[0-9a-f-]{36}$/); // made up when the client sent none

    const unreachable = await fetch(`${edge}/`);
    expect(unreachable.status).toBe(502);
    expect((await unreachable.json()).error).toBe('render-catalog is not answering; try again in a moment');
    expect((await fetch(`${edge}/metrics`)).status).toBe(404);
    expect((await fetch(`${edge}/checkout`)).status).toBe(502); // reserve-seat is not in this edge's table
    expect(await (await fetch(`${edge}/edge/healthz`)).text()).toBe('ok\n'); // its own health
  });

  it('forwards the path as NGINX normalised it, not as the client spelled it', async () => {
    const urls: string[] = [];
    const catalog = await listen(
      http.createServer((req, res) => {
        urls.push(req.url!);
        res.end();
      }),
    );
    const edge = await listen(
      createEdge({
        routes: loadRoutes(),
        functions: { 'render-catalog': catalog },
        log: createLogger({ name: 'edge' }, captureLogs().stream),
      }),
    );
    const { port } = new URL(edge);
    const statuses: string[] = [];
    const send = (method: string, target: string) =>
      new Promise<void>((resolve) => {
        const socket = net.connect(Number(port), '127.0.0.1', () =>
          socket.write(Buffer.from(`${method} ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, 'latin1')),
        );
        socket.on('data', (c) => statuses.push(c.toString('latin1').slice(9, 12))).on('close', () => resolve());
      });
    for (const target of ['/movies//x/../y?a=%2F#frag', '/%6dovies', '/a%2Fb/../events', '/x%20y"', '/\u00ff'])
      await send('GET', target);
    // A raw byte above 0x7f (one latin1 character as Node hands them over) is refused: a URI is ASCII.
    expect(statuses).toEqual(['200', '200', '200', '200', '400']);
    expect(urls).toEqual(['/movies/y?a=%2F', '/movies', '/a/events', '/x%20y%22']);
    // No tunnel and no echo through the edge: CONNECT and TRACE are refused as NGINX refuses them, and reach no function.
    await send('CONNECT', '127.0.0.1:5432'); // a host:port: a bad request line to NGINX
    await send('CONNECT', '/');
    await send('TRACE', '/');
    expect(statuses.slice(5)).toEqual(['400', '405', '405']);
    expect(urls).toHaveLength(4);
  });
});

describe('the local edge when a function’s connection is reset (a function draining, restarting or killed)', () => {
  /** A function stand-in that resets the connection of each request whose attempt number is in `resets`, and answers the others with what it got. */
  async function flaky(resets: number[]) {
    const attempts: { method: string; body: string }[] = [];
    const url = await listen(
      http.createServer((req, res) => {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          attempts.push({ method: req.method!, body });
          if (resets.includes(attempts.length)) return void req.socket.destroy();
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ attempt: attempts.length, body }));
        });
      }),
    );
    const edge = await listen(
      createEdge({
        routes: loadRoutes(),
        functions: { 'reserve-seat': url },
        log: createLogger({ name: 'edge' }, captureLogs().stream),
      }),
    );
    return { edge, attempts };
  }

  it('retries a GET once, on a new connection, as the cluster’s data plane does', async () => {
    const { edge, attempts } = await flaky([1]);
    const res = await fetch(`${edge}/checkout/api/shows/x/seats`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ attempt: 2, body: '' });
    expect(attempts.map((a) => a.method)).toEqual(['GET', 'GET']);
  });

  it('retries a request with an Idempotency-Key once, its body sent again whole', async () => {
    const { edge, attempts } = await flaky([1]);
    const body = JSON.stringify({ seats: [{ seat: 'A1', ticketType: 'full' }] });
    const res = await fetch(`${edge}/checkout/api/shows/x/orders`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'idempotency-key': 'order-attempt-1' },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ attempt: 2, body });
    expect(attempts).toEqual([
      { method: 'POST', body },
      { method: 'POST', body },
    ]);
  });

  it('never retries a POST without one (it may have been done), nor anything twice', async () => {
    const once = await flaky([1]);
    const post = await fetch(`${once.edge}/checkout/api/shows/x/orders`, { method: 'POST', body: '{}' });
    expect(post.status).toBe(502);
    expect(once.attempts).toHaveLength(1);
    const twice = await flaky([1, 2]);
    expect((await fetch(`${twice.edge}/checkout/api/shows/x/seats`)).status).toBe(502);
    expect(twice.attempts).toHaveLength(2);
  });
});

describe('what the local edge decides (as the chart’s nginx was seen to, and ngx_http_parse.c says)', () => {
  const routes = loadRoutes();
  const get = (url: string, method = 'GET') => decide(routes, { method, url, hosts: ['premiere.example'] });
  const refused = (status: number) => expect.objectContaining({ status });

  it('refuses /events and /metrics however they are spelled: NGINX decodes, resolves dot segments and merges slashes first', () => {
    for (const url of [
      '/metric%73',
      '/%65vents',
      '/a/../events',
      '/./metrics',
      '/checkout/%2e%2e/events',
      '//events',
      '/%2Fevents',
      '/checkout%2F..%2Fmetrics',
      '/x%3f/../events',
      '/metrics#x',
      '/events%0a',
      'http://h/events',
      'HTTP://H/metrics?x',
    ]) {
      expect([url, get(url)]).toEqual([url, { status: 404, error: 'nothing is served here' }]);
    }
  });

  it('routes by the decoded path and forwards that path, escaped as NGINX escapes it', () => {
    expect(get('/admin//api')).toEqual({ function: 'admit-batch', target: '/admin/api' });
    expect(get('/ch%65ckout/x')).toEqual({ function: 'reserve-seat', target: '/checkout/x' });
    expect(get('/checkout/%2fx')).toEqual({ function: 'reserve-seat', target: '/checkout/x' });
    expect(get('/admin/../checkout?x=1#f')).toEqual({ function: 'reserve-seat', target: '/checkout?x=1' });
    // hapi would read "/a%2Fb/.." as "/", and so this as /events: the function is sent NGINX's reading.
    expect(get('/a%2Fb/../events')).toEqual({ function: 'render-catalog', target: '/a/events' });
    expect(get('/metrics%3F')).toEqual({ function: 'render-catalog', target: '/metrics%3F' }); // a decoded '?' is a plain character
    expect(get('/events%0A/x')).toEqual({ function: 'render-catalog', target: '/events%0A/x' });
    expect(get('/caf%c3%a9/%7e"x"')).toEqual({ function: 'render-catalog', target: '/caf%C3%A9/~%22x%22' });
    expect(get('/_health')).toEqual({ function: 'render-catalog', target: '/_health' });
    // An absolute URI: its path, "/" when it has none.
    expect(get('http://h:80/checkout/%2e')).toEqual({ function: 'reserve-seat', target: '/checkout/' });
    expect(get('http://h?x')).toEqual({ function: 'render-catalog', target: '/?x' });
    expect(get('http://h')).toEqual({ function: 'render-catalog', target: '/' });
  });

  it('answers a public function’s readiness, with the query, and no one else’s', () => {
    expect(get('/_health/%69ssue-token?a=%2F#x')).toEqual({ function: 'issue-token', target: '/readyz?a=%2F' });
    expect(get('/_health//issue-token')).toEqual({ function: 'issue-token', target: '/readyz' });
    for (const url of [
      '/_health/process-payment',
      '/_health/constructor',
      '/_health/__proto__',
      '/_health/issue-token/',
      '/_health/issue-token/%2e%2e/nobody',
    ]) {
      expect([url, get(url)]).toEqual([url, { status: 404, error: 'no such function' }]);
    }
  });

  it('refuses what NGINX refuses: 400 for a bad escape, %00, ".." above the root, a bad target or host; 414 for a request line over 8 KiB; 405 for TRACE', () => {
    for (const url of [
      '/x%00',
      '/x%zz',
      '/x%2',
      '/x%',
      '/..',
      '/%2e%2e',
      '/.%2e/x',
      '/../x',
      '/a/../../x',
      '*',
      'evil',
      'http:/h/a',
      'http://h..x/a',
      'http://h_x/a',
      'http://h:8x/a',
      '/x\u0001',
    ]) {
      expect([url, get(url)]).toEqual([url, refused(400)]);
    }
    expect(get(`/${'a'.repeat(8176)}`)).toEqual({ function: 'render-catalog', target: `/${'a'.repeat(8176)}` }); // "GET " + 8177 + " HTTP/1.1\r\n" = 8192
    expect(get('/\u00e9')).toEqual(refused(400)); // a raw byte above 0x7f
    expect(get(`/${'a'.repeat(8177)}`)).toEqual(refused(414));
    expect(get(`/x\u0001${'a'.repeat(9000)}`)).toEqual(refused(400)); // seen before the buffer runs out
    expect(get(`/x%zz${'a'.repeat(9000)}`)).toEqual(refused(414)); // seen only once the line is whole
    expect(get('/', 'TRACE')).toEqual(refused(405));
    expect(decide(routes, { method: 'GET', url: '/', hosts: ['a', 'b'] })).toEqual(refused(400));
    expect(decide(routes, { method: 'GET', url: '/', hosts: ['a..b'] })).toEqual(refused(400));
  });
});

describe('the edge’s process', () => {
  it('says so in one line when its port is taken', async () => {
    const taken = http.createServer();
    await new Promise<void>((r) => taken.listen(0, '0.0.0.0', r));
    const port = (taken.address() as { port: number }).port;
    const edge = spawn(process.execPath, [path.resolve(__dirname, '../dist/edge-main.js')], {
      env: { PATH: process.env.PATH, PORT: String(port), EDGE_FUNCTIONS: '{"render-catalog":"http://127.0.0.1:9"}' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    edge.stderr!.on('data', (c) => (stderr += c));
    const code = await new Promise((r) => edge.once('exit', r));
    taken.close();
    expect({ code, stderr: stderr.trim() }).toEqual({
      code: 1,
      stderr: `premiere edge: port ${port} is in use: stop what uses it or set PREMIERE_PORT`,
    });
  });

  it('serves until SIGTERM, then stops', async () => {
    const port = await freePort();
    const edge = spawn(process.execPath, [path.resolve(__dirname, '../dist/edge-main.js')], {
      env: {
        PATH: process.env.PATH,
        PORT: String(port),
        EDGE_FUNCTIONS: '{"render-catalog":"http://127.0.0.1:9"}',
        LOG_LEVEL: 'silent',
      },
      stdio: 'ignore',
    });
    const exited = new Promise((r) => edge.once('exit', r));
    await eventually(
      async () => (await fetch(`http://127.0.0.1:${port}/edge/healthz`).catch(() => null))?.status === 200,
      10_000,
      100,
    );
    expect((await fetch(`http://127.0.0.1:${port}/_health/constructor`)).status).toBe(404);
    edge.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
