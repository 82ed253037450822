import http from 'node:http';
import { createLogger } from '@premiere/runtime';
import { captureLogs } from '@premiere/runtime/testing';
import { freePort } from '../src/backing';
import { loadRoutes } from '../src/declarations';
import { createEdge } from '../src/edge';

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
      createEdge({ routes: loadRoutes(), functions: { 'issue-token': waitingRoom, 'render-catalog': down }, log: createLogger({ name: 'edge' }, captureLogs().stream) }),
    );

    const res = await fetch(`${edge}/waiting-room/show-1/join?lang=pt`, { method: 'POST', body: 'x', headers: { 'x-request-id': 'rid-1' } });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-request-id')).toBe('rid-1'); // echoed to the client
    expect(res.headers.get('set-cookie')).toBe('session=abc; HttpOnly');
    expect(await res.json()).toEqual({ method: 'POST', url: '/waiting-room/show-1/join?lang=pt' });
    expect(seen[0]).toMatchObject({ 'x-request-id': 'rid-1', 'x-forwarded-for': '127.0.0.1', 'x-forwarded-proto': 'http' });

    await fetch(`${edge}/waiting-room`);
    expect(seen[1]['x-request-id']).toMatch(/^[0-9a-f-]{36}$/); // made up when the client sent none

    const unreachable = await fetch(`${edge}/`);
    expect(unreachable.status).toBe(502);
    expect((await unreachable.json()).error).toBe('render-catalog is not answering; try again in a moment');
    expect((await fetch(`${edge}/metrics`)).status).toBe(404);
    expect((await fetch(`${edge}/checkout`)).status).toBe(404); // reserve-seat is not in this edge's table
  });
});
