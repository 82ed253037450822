import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { requireSharedSchemas, sharedSchemasDir } from '../src/schemas';

/** chart:check reads ../shared/schemas: when it is not there, it says where it looked and what to do. */
describe('the shared schemas', () => {
  const base = mkdtempSync(path.join(tmpdir(), 'schemas-'));
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('are looked for beside the checkout, or in PREMIERE_SCHEMAS_DIR', () => {
    expect(sharedSchemasDir('/work/checkout', {})).toBe('/work/shared/schemas');
    expect(sharedSchemasDir('/work/checkout', { PREMIERE_SCHEMAS_DIR: '/srv/schemas' })).toBe('/srv/schemas');
  });

  it('missing beside the checkout: names the folder and PREMIERE_SCHEMAS_DIR', () => {
    const dir = sharedSchemasDir(path.join(base, 'checkout'), {});
    expect(() => requireSharedSchemas(dir, {})).toThrow(
      `not in ${dir}, the shared/schemas folder beside this checkout (missing: knative-serving, knative-eventing, skaffold/v4beta14.json)`,
    );
    expect(() => requireSharedSchemas(dir, {})).toThrow('or set PREMIERE_SCHEMAS_DIR');
  });

  it('missing in PREMIERE_SCHEMAS_DIR: says so, naming what is missing', () => {
    const dir = path.join(base, 'mine');
    mkdirSync(path.join(dir, 'knative-serving'), { recursive: true });
    mkdirSync(path.join(dir, 'knative-eventing'));
    expect(() => requireSharedSchemas(dir, { PREMIERE_SCHEMAS_DIR: dir })).toThrow(
      `not in PREMIERE_SCHEMAS_DIR (${dir}) (missing: skaffold/v4beta14.json)`,
    );
    mkdirSync(path.join(dir, 'skaffold'));
    writeFileSync(path.join(dir, 'skaffold/v4beta14.json'), '{}');
    expect(() => requireSharedSchemas(dir, { PREMIERE_SCHEMAS_DIR: dir })).not.toThrow();
  });

  it('are where chart:check runs', () => {
    expect(() => requireSharedSchemas(sharedSchemasDir(path.resolve(__dirname, '../../..')))).not.toThrow();
  });
});
