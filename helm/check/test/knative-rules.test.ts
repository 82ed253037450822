import { knativeServiceProblems } from '../src/knative-rules';
import { strictify } from '../src/schemas';

const service = (container: Record<string, unknown>, podSecurity?: Record<string, unknown>) => ({
  apiVersion: 'serving.knative.dev/v1',
  kind: 'Service',
  metadata: { name: 's' },
  spec: {
    template: {
      spec: {
        ...(podSecurity ? { securityContext: podSecurity } : {}),
        containers: [{ name: 'c', image: 'i', ...container }],
      },
    },
  },
});
const secure = {
  securityContext: {
    runAsNonRoot: true,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  },
};

describe('the rules Knative’s webhook enforces', () => {
  it('accepts what the chart renders', () => {
    expect(
      knativeServiceProblems(
        service({
          ...secure,
          ports: [{ name: 'http1', containerPort: 8080 }],
          readinessProbe: { httpGet: { path: '/readyz' } },
        }),
      ),
    ).toEqual([]);
  });

  it('refuses reserved env vars and ports, foreign probe ports, bad port names, pod-level security', () => {
    const problems = knativeServiceProblems(
      service(
        {
          ...secure,
          env: [{ name: 'K_SERVICE' }],
          ports: [{ name: 'web', containerPort: 9090 }],
          livenessProbe: { httpGet: { port: 8081 } },
        },
        { runAsNonRoot: true },
      ),
    );
    expect(problems).toEqual([
      'the pod-level securityContext is refused unless kubernetes.podspec-securitycontext is on; set it on the container',
      'container c: env K_SERVICE is reserved by Knative',
      'container c: port name "web" must be http1, h2c or empty',
      'container c: port 9090 is reserved by the queue-proxy',
      "container c: livenessProbe names port 8081, not the container's own",
    ]);
  });

  it('refuses automountServiceAccountToken: true (Knative keeps only false)', () => {
    const svc = service({ ...secure });
    (svc.spec.template.spec as Record<string, unknown>).automountServiceAccountToken = true;
    expect(knativeServiceProblems(svc)).toEqual([
      'automountServiceAccountToken may only be set to false (leave it out for the default, mounted)',
    ]);
  });

  it('wants the container locked down', () => {
    expect(knativeServiceProblems(service({}))).toHaveLength(5);
  });
});

describe('strict schemas', () => {
  it('close objects that list their properties, unless they keep unknown fields', () => {
    const schema = {
      type: 'object',
      properties: {
        a: { type: 'object', properties: { b: {} } },
        free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { c: {} } },
      },
    };
    strictify(schema);
    expect(schema).toMatchObject({
      additionalProperties: false,
      properties: { a: { additionalProperties: false }, free: { 'x-kubernetes-preserve-unknown-fields': true } },
    });
    expect((schema.properties.free as Record<string, unknown>).additionalProperties).toBeUndefined();
  });
});
