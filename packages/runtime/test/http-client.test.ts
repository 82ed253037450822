import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { callHttp, CallTimedOut } from '../src';

let server: http.Server;
let base: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req
      .on('data', (c) => (body += c))
      .on('end', () => {
        if (req.url === '/slow') return void setTimeout(() => res.end('late'), 500);
        res
          .writeHead(201, { 'content-type': 'application/json', 'x-seen': req.method! })
          .end(JSON.stringify({ got: body }));
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections(); // our keep-alive connections would hold close() up
  return new Promise((resolve) => server.close(resolve));
});

describe('callHttp', () => {
  it('sends the method, headers and body, and answers with the status, headers and whole body', async () => {
    const res = await callHttp(`${base}/x`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'hello',
      timeoutMs: 2_000,
    });
    expect(res).toMatchObject({ status: 201, text: '{"got":"hello"}' });
    expect(res.headers['x-seen']).toBe('POST');
  });

  it('gives up after its time with a TimeoutError, as fetch does', async () => {
    const err = await callHttp(`${base}/slow`, { method: 'GET', timeoutMs: 100 }).catch((e) => e);
    expect(err).toBeInstanceOf(CallTimedOut);
    expect(err.name).toBe('TimeoutError');
  });

  it('rejects with the connection error’s code when nobody listens', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(callHttp(`http://127.0.0.1:${port}/`, { method: 'GET', timeoutMs: 2_000 })).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
  });
});
