import { readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');

describe('the Dockerfile', () => {
  it('copies every workspace’s package.json for npm ci (it needs them all)', () => {
    const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    const { workspaces } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      workspaces: string[];
    };
    for (const ws of workspaces) {
      const copies = dockerfile.split('\n').filter((l) => l.trim() === `COPY ${ws}/package.json ${ws}/`);
      expect([ws, copies.length]).toEqual([ws, 1]);
    }
  });

  it('builds every function and simulator the chart runs', () => {
    const values = readFileSync(path.join(ROOT, 'helm/premiere/values.yaml'), 'utf8');
    const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    for (const fn of ['issue-token', 'admit-batch', 'reserve-seat', 'process-payment', 'render-catalog']) {
      expect(values).toContain(`  ${fn}:`);
      expect(dockerfile).toContain(`functions/${fn}/package.json`);
    }
    expect(dockerfile).toMatch(/legacy-cinema\|payment-provider\)/);
    expect(dockerfile).toContain('cp -r "functions/$APP/lua"'); // Redis scripts are loaded from files at run time
  });
});
