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

  it('runs as the README says: node:20-bookworm-slim, production dependencies and built files only, uid 1000, under tini', () => {
    const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20-bookworm-slim$/m);
    const stages = dockerfile.split(/^FROM /m);
    const run = stages[stages.length - 1];
    expect(run.split('\n')[0]).toBe('${NODE_IMAGE}');
    // What the running image gets: the deps stage's node_modules (npm ci --omit=dev) and the build's /out, nothing else.
    expect(run.match(/^COPY .*$/gm)).toEqual([
      'COPY --from=deps /src/node_modules ./node_modules',
      'COPY --from=build /out ./',
    ]);
    expect(stages.find((s) => s.startsWith('manifests AS deps'))).toMatch(/npm ci --omit=dev/);
    expect(run).toMatch(/^USER 1000:1000$/m);
    expect(run).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--"\]$/m);
    expect(run).toMatch(/apt-get install -y --no-install-recommends tini/);
  });
});
