import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Recorder } from '@premiere/burst/recorder';
import { ChaosClient } from '../src/crowd';

// The crowd's client under faults: a browser asks again after a 5xx or no answer, every exchange
// is timestamped, and "busy" on the steps where the visitor handles it itself is passed on.
describe('the chaos crowd’s client', () => {
  let server: http.Server;
  let base: string;
  const answers: number[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const status = answers.shift() ?? 200;
      if (status === 0) return void req.socket.destroy(); // no answer at all
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify(
          req.url?.endsWith('/join')
            ? { token: 't1', status: { state: 'waiting', place: 4 } }
            : { state: 'waiting', place: 4 },
        ),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it('asks again after a 5xx or no answer until it is answered, recording each exchange', async () => {
    const client = new ChaosClient(base, new Recorder(), 5_000, 4);
    answers.push(502, 0, 200);
    const a = await client.call('status', 'GET', '/waiting-room/api/shows/s/status');
    expect(a.status).toBe(200);
    expect(client.exchanges.map((e) => e.status)).toEqual([502, null, 200]);
    expect(client.exchanges.every((e) => e.sentAt <= e.at)).toBe(true);
    await client.close();
  });

  it('passes a 503 on as it came where the visitor handles "busy" itself (seat map, hold, pay)', async () => {
    const client = new ChaosClient(base, new Recorder(), 5_000, 4);
    answers.push(503);
    expect((await client.call('hold', 'POST', '/checkout/api/shows/s/orders', { body: {} })).status).toBe(503);
    expect(client.exchanges).toHaveLength(1);
    await client.close();
  });

  it('remembers the place a visitor joined at, and that it left of its own accord', async () => {
    const client = new ChaosClient(base, new Recorder(), 5_000, 4);
    await client.call('join', 'POST', '/waiting-room/api/shows/s/join', { headers: { 'x-session-id': 'v1' } });
    expect(client.places.get('v1')).toMatchObject({
      show: 's',
      token: 't1',
      place: 4,
      state: 'waiting',
      lost: null,
      leftOnPurpose: false,
    });
    await client.call('leave', 'DELETE', '/waiting-room/api/shows/s/token', { headers: { 'x-session-id': 'v1' } });
    expect(client.places.get('v1')!.leftOnPurpose).toBe(true);
    await client.close();
  });
});
