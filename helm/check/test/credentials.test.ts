import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  chartCredentialProblems,
  generatedKeys,
  keepsState,
  keptCredentialProblems,
  renderedSources,
} from '../src/credentials';
import { CHART, findHelm, KUBE_VERSION, parseAll } from '../src/helm';

/** Every generated credential whose consumer keeps state is kept (on upgrade and on reinstall). */
type Doc = Record<string, any>;

const secret = (name: string, data: Record<string, string>, keep = false): Doc => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, ...(keep ? { annotations: { 'helm.sh/resource-policy': 'keep' } } : {}) },
  stringData: data,
});
const reads = (kind: string, name: string, secretName: string, extra: Doc = {}): Doc => ({
  apiVersion: kind === 'StatefulSet' ? 'apps/v1' : 'serving.knative.dev/v1',
  kind,
  metadata: { name },
  spec: {
    ...extra,
    template: {
      spec: {
        containers: [
          {
            name: 'c',
            env: [
              { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: secretName, key: 'PASSWORD' } } },
              ...(extra.env ?? []),
            ],
          },
        ],
      },
    },
  },
});
const database = (secretName: string) =>
  reads('StatefulSet', 'db', secretName, { volumeClaimTemplates: [{ metadata: { name: 'data' } }] });
const lookupTemplate = '{{- $existing := (lookup "v1" "Secret" .Release.Namespace $name).data | default dict }}';

describe('generated credentials', () => {
  it('are the values that differ between two renderings', () => {
    expect(generatedKeys([secret('s', { A: 'x', B: 'fixed' })], [secret('s', { A: 'y', B: 'fixed' })])).toEqual(
      new Map([['s', ['A']]]),
    );
    expect(generatedKeys([secret('s', { B: 'fixed' })], [secret('s', { B: 'fixed' })])).toEqual(new Map());
  });

  it('kept by volumes or a database: a StatefulSet with claims, a workload with DATABASE_URL; not a stateless one', () => {
    expect(keepsState(database('s'))).toBe('its volumes outlive its pods and helm uninstall');
    expect(keepsState(reads('Service', 'fn', 's', { env: [{ name: 'DATABASE_URL', value: 'postgres://x' }] }))).toBe(
      'what it keeps in DATABASE_URL outlives its pods',
    );
    expect(keepsState(reads('Service', 'fn', 's'))).toBeUndefined();
  });

  it('a database password drawn anew on every install, without keep, is refused', () => {
    const problems = keptCredentialProblems(
      [secret('s', { PASSWORD: 'a' }), database('s')],
      [secret('s', { PASSWORD: 'b' }), database('s')],
      () => 'templates/s.yaml',
      () => lookupTemplate,
    );
    expect(problems).toEqual([
      'Secret s: generates PASSWORD for StatefulSet db (its volumes outlive its pods and helm uninstall), but lacks helm.sh/resource-policy: keep (a reinstall would draw new values)',
    ]);
  });

  it('a kept Secret must still be read back on upgrade', () => {
    const problems = keptCredentialProblems(
      [secret('s', { PASSWORD: 'a' }, true), database('s')],
      [secret('s', { PASSWORD: 'b' }, true), database('s')],
      () => 'templates/s.yaml',
      () => 'randAlphaNum 32',
    );
    expect(problems).toEqual([
      'Secret s: its template templates/s.yaml does not read it back (lookup "v1" "Secret"): an upgrade would draw new values',
    ]);
  });

  it('a generated Secret only stateless consumers read need not be kept', () => {
    expect(
      keptCredentialProblems(
        [secret('s', { PASSWORD: 'a' }), reads('Service', 'fn', 's')],
        [secret('s', { PASSWORD: 'b' }), reads('Service', 'fn', 's')],
        () => undefined,
        () => '',
      ),
    ).toEqual([]);
  });

  it('finds the template of each rendered document', () => {
    const out =
      '---\n# Source: premiere/templates/backing-secret.yaml\napiVersion: v1\nkind: Secret\nmetadata:\n  name: premiere-backing\n  labels:\n    a: b\n---\n# Source: premiere/templates/edge.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels:\n    x: y\n  name: premiere-edge\n';
    expect(renderedSources(out)).toEqual(
      new Map([
        ['Secret premiere-backing', 'templates/backing-secret.yaml'],
        ['ConfigMap premiere-edge', 'templates/edge.yaml'],
      ]),
    );
  });
});

// What the chart renders (helm is installed wherever chart:check runs; CI installs it before the tests).
const helm = findHelm();
(helm || process.env.CI ? describe : describe.skip)('the chart’s generated credentials', () => {
  const render = (args: string[]) =>
    execFileSync(helm!, ['template', 'premiere', CHART, '--kube-version', KUBE_VERSION, ...args], { encoding: 'utf8' });
  const check = (args: string[]) => ({
    docs: parseAll(render(args)),
    problems: chartCredentialProblems(render, args, CHART),
  });

  it.each([
    ['defaults', []],
    ['Redis replicated', ['--set', 'redis.replication.enabled=true']],
    ['external PostgreSQL', ['--set', 'postgresql.existingSecret=premiere-db']],
  ])('%s: every generated Secret is kept and read back', (_, args) => {
    expect(check(args as string[]).problems).toEqual([]);
  });

  it('the PostgreSQL password and the signing keys are generated, and kept', () => {
    const { docs } = check([]);
    const generated = generatedKeys(docs, parseAll(render([])));
    expect(generated.get('premiere-backing')).toEqual(expect.arrayContaining(['POSTGRES_PASSWORD', 'REDIS_PASSWORD']));
    expect(generated.get('premiere-secrets')).toEqual(expect.arrayContaining(['TOKEN_SIGNING_KEYS', 'ADMIN_TOKEN']));
    for (const name of ['premiere-backing', 'premiere-secrets']) {
      expect(
        docs.find((d: Doc) => d.kind === 'Secret' && d.metadata.name === name)?.metadata.annotations?.[
          'helm.sh/resource-policy'
        ],
      ).toBe('keep');
    }
  });
});

/**
 * An upgrade, and a reinstall that finds the kept Secrets, run the templates' `lookup` against the
 * cluster: `helm template --dry-run=server` does the same against a stand-in API server that holds
 * Secrets (as the real one returns them: data, base64). `helm template` alone cannot show it: its
 * lookup finds nothing.
 */
(helm || process.env.CI ? describe : describe.skip)('the chart reads its generated credentials back', () => {
  const secrets = new Map<string, Doc>();
  const server = createServer((req, res) => {
    const send = (code: number, body: unknown) =>
      res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (/^\/api\/v1(\?|$)/.test(req.url ?? '')) {
      return send(200, {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: 'v1',
        resources: [{ name: 'secrets', singularName: 'secret', namespaced: true, kind: 'Secret', verbs: ['get'] }],
      });
    }
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/secrets\/([^/?]+)/.exec(req.url ?? '');
    const found = m && secrets.get(`${m[1]}/${m[2]}`);
    if (found) return send(200, found);
    send(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 });
  });
  const dir = mkdtempSync(path.join(tmpdir(), 'kube-'));
  const kubeconfig = path.join(dir, 'config');
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    writeFileSync(
      kubeconfig,
      `apiVersion: v1\nkind: Config\nclusters: [{ name: c, cluster: { server: "http://127.0.0.1:${port}" } }]\nusers: [{ name: u, user: {} }]\ncontexts: [{ name: x, context: { cluster: c, user: u } }]\ncurrent-context: x\n`,
    );
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  // Asynchronous: the stand-in API server answers from this process.
  const render = async (args: string[] = []) => {
    const { stdout } = await promisify(execFile)(
      helm!,
      [
        'template',
        'premiere',
        CHART,
        '--kube-version',
        KUBE_VERSION,
        '--namespace',
        'premiere',
        '--dry-run=server',
        ...args,
      ],
      { env: { ...process.env, KUBECONFIG: kubeconfig } },
    );
    return parseAll(stdout).filter((d: Doc) => d.kind === 'Secret');
  };
  /** A rendered Secret as the API server keeps it: stringData folded into data. */
  const stored = (d: Doc): Doc => {
    const data = { ...(d.data ?? {}) };
    for (const [k, v] of Object.entries<string>(d.stringData ?? {})) data[k] = Buffer.from(v).toString('base64');
    return { apiVersion: 'v1', kind: 'Secret', metadata: { ...d.metadata, namespace: 'premiere' }, type: d.type, data };
  };

  it.each([
    ['defaults', []],
    ['Redis replicated', ['--set', 'redis.replication.enabled=true']],
  ])(
    '%s: rendered again against the Secrets of the first install, every generated value is the same',
    async (_, args) => {
      secrets.clear();
      const first = await render(args as string[]);
      expect(generatedKeys(first, await render(args as string[])).size).toBeGreaterThan(0); // nothing there yet: drawn anew
      for (const d of first) secrets.set(`premiere/${d.metadata.name}`, stored(d));
      const again = await render(args as string[]);
      expect(generatedKeys(first, again)).toEqual(new Map());
      expect(again.map((d: Doc) => d.metadata.name).sort()).toEqual(first.map((d: Doc) => d.metadata.name).sort());
    },
  );
});
