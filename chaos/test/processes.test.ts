import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { listenerPid, partPorts, pidOf, readState } from '../src/processes';

// How chaos finds the process of a part it is about to kill: stack.json's `processes` when the
// stack keeps it, else whoever listens on the part's port.
describe('a part’s process', () => {
  let server: net.Server;
  let port: number;
  let dir: string;
  beforeAll(async () => {
    server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as net.AddressInfo).port;
    dir = mkdtempSync(path.join(os.tmpdir(), 'chaos-processes-'));
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });
  const state = (more: object) =>
    writeFileSync(
      path.join(dir, 'stack.json'),
      JSON.stringify({
        edge: `http://127.0.0.1:${port}`,
        functions: { 'reserve-seat': 'http://127.0.0.1:1' },
        simulators: {},
        backing: { redis: 'redis://127.0.0.1:2', postgres: 'postgres://u:p@127.0.0.1:3/db' },
        ...more,
      }),
    );

  it('is the one listening on its port when stack.json has no processes', () => {
    state({});
    expect(listenerPid(port)).toBe(process.pid);
    expect(pidOf(dir, 'edge', port)).toEqual({ pid: process.pid, from: 'port' });
  });

  it('is stack.json’s when it names one that runs, else the port’s', () => {
    state({ processes: { edge: process.ppid } });
    expect(pidOf(dir, 'edge', port)).toEqual({ pid: process.ppid, from: 'processes' });
    state({ processes: { edge: 2 ** 22 + 1 } }); // above any pid: not running
    expect(pidOf(dir, 'edge', port)).toEqual({ pid: process.pid, from: 'port' });
  });

  it('nobody on a port nothing listens on', () => {
    expect(listenerPid(1)).toBeNull();
  });

  it('the ports of every part, by the names of stack.json’s processes', () => {
    state({});
    expect(partPorts(readState(dir))).toEqual({ edge: port, 'reserve-seat': 1, redis: 2, postgres: 3 });
  });
});
