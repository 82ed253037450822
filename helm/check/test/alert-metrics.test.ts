import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { alertMetricProblems } from '../src/main';

/** An alert on a metric no function registers would never fire: chart:check refuses it. */
describe('the alerts’ metrics', () => {
  const rules = [
    {
      spec: {
        groups: [{ rules: [{ alert: 'Stuck', expr: 'max(premiere_outbox_oldest_unpublished_seconds) > 900' }] }],
      },
    },
  ];
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'premiere-alert-metrics-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('are found where a function registers them, in a folder of its src too', () => {
    mkdirSync(path.join(dir, 'runtime/src/cloudevents'), { recursive: true });
    writeFileSync(
      path.join(dir, 'runtime/src/cloudevents/outbox.ts'),
      "new Gauge({ name: 'premiere_outbox_oldest_unpublished_seconds' });",
    );
    expect(alertMetricProblems(rules, [dir])).toEqual([]);
  });

  it('are refused when no function registers them', () => {
    mkdirSync(path.join(dir, 'runtime/src'), { recursive: true });
    expect(alertMetricProblems(rules, [dir])).toEqual([
      'alert Stuck: no function exports premiere_outbox_oldest_unpublished_seconds',
    ]);
  });
});
