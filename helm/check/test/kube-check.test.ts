import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CHART, KUBE_VERSION, findHelm } from '../src/helm';
import { buildKnativeCheck } from '../src/knative';
import {
  buildKubeCheck,
  kubeBrokenMisses,
  kubeCheckBuilt,
  kubeCreate,
  kubeCreateRevisionPods,
  kubeProblems,
} from '../src/kube-check';

// The API server's create path (helm/check/kube). Its cold build compiles much of Kubernetes, too
// long for every `npm test`: this runs when the binary is built (`npm run chart:check -- --full`
// builds it) or when PREMIERE_FULL_CHART_CHECK=1 asks, which builds it first.
const asked = process.env.PREMIERE_FULL_CHART_CHECK === '1';
(asked || kubeCheckBuilt() ? describe : describe.skip)('the Kubernetes API server’s create path', () => {
  beforeAll(() => {
    if (asked) buildKubeCheck();
  }, 60 * 60_000);

  it('refuses the kube-broken fixture for each of its faults, and for nothing else', () => {
    const report = kubeCreate(readFileSync(path.join(__dirname, '../fixtures/kube-broken.yaml'), 'utf8'));
    expect(report.checked).toBe(5);
    expect(kubeBrokenMisses(report)).toEqual({ missed: [], other: [] });
  });

  it('accepts the same objects once their faults are corrected', () => {
    const fixed = readFileSync(path.join(__dirname, '../fixtures/kube-broken.yaml'), 'utf8')
      .replace('labels: { app: orders }', 'labels: { app: seats }')
      .replace('cpu: "2", memory', 'cpu: "1", memory')
      .replace('port: 70000', 'port: 7000')
      .replace('nodePort: 8080', 'nodePort: 31090')
      .replace('name: Bad_Name', 'name: good-name');
    expect(kubeProblems(kubeCreate(fixed))).toEqual([]);
  });

  it('refuses a Knative Service whose requests exceed its limits through its revision pod, which the webhooks pass', () => {
    const service = `apiVersion: serving.knative.dev/v1
kind: Service
metadata: { name: greedy, namespace: default }
spec:
  template:
    spec:
      containers:
        - image: example.org/greedy@sha256:${'0'.repeat(64)}
          resources: { requests: { memory: 4Gi }, limits: { memory: 256Mi } }
`;
    const knative = buildKnativeCheck().run(service);
    // (It warns of the container's default securityContext, but says nothing of its resources.)
    expect(knative.problems.filter((p) => /resources/.test(p.problem))).toEqual([]);
    expect(kubeProblems(kubeCreateRevisionPods(knative))).toEqual([
      expect.stringMatching(
        /^Pod greedy-revision-pod: spec\.containers\[0\]\.resources\.requests: Invalid value: "4Gi": must be less than or equal to memory limit/,
      ),
    ]);
  });

  it('counts what the API server only warns of as a problem (a fractional byte quantity)', () => {
    const cm = `apiVersion: v1
kind: Pod
metadata: { name: fractional }
spec:
  containers:
    - name: c
      image: example.org/c:1
      resources: { limits: { memory: 268435456500m } }
`;
    // (Once for the limit, once for the request defaulted from it.)
    expect(kubeProblems(kubeCreate(cm))).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Pod fractional: warning: .*limits\[memory\]: fractional byte value/),
      ]),
    );
  });

  it('leaves the kinds the API server does not validate itself to the Knative check', () => {
    const report = kubeCreate(
      'apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: { name: f }\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: c }\n',
    );
    expect(report).toMatchObject({ checked: 1, skipped: { 'Service.serving.knative.dev': 1 }, problems: [] });
  });

  it('refuses an API version the API server no longer serves, and a core kind it has no strategy for', () => {
    const report = kubeCreate(
      'apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata: { name: p }\nspec: { minAvailable: 1 }\n---\napiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: { name: s }\nprovisioner: x\n',
    );
    expect(kubeProblems(report)).toEqual([
      'PodDisruptionBudget p: the API server does not serve policy/v1beta1 by default (alpha and beta versions are off): use a stable version',
      'StorageClass s: no create strategy for StorageClass.storage.k8s.io in this check: add it to strategies.go',
    ]);
  });

  const helm = findHelm();
  (helm ? it : it.skip)('accepts every core object of the chart’s default rendering', () => {
    const rendered = execFileSync(helm!, ['template', 'premiere', CHART, '--kube-version', KUBE_VERSION], {
      encoding: 'utf8',
    });
    const report = kubeCreate(rendered);
    expect(report.checked).toBeGreaterThan(10);
    expect(kubeProblems(report)).toEqual([]);
  });
});
