import { findHelm, renderChart } from '../src/helm';

/**
 * The edge's pods roll when anything they read changes: its Deployment's checksum/config covers
 * every byte of the ConfigMap NGINX reads (routes, resolver, trusted proxies, cache size, headers).
 */
type Doc = Record<string, any>;
const helm = findHelm();

(helm || process.env.CI ? describe : describe.skip)('the edge’s checksum/config', () => {
  const edge = (args: string[]) => {
    const docs = renderChart(helm!, args);
    const config = docs.find((d: Doc) => d.kind === 'ConfigMap' && d.metadata.name === 'premiere-edge');
    const deployment = docs.find((d: Doc) => d.kind === 'Deployment' && d.metadata.name === 'premiere-edge');
    return {
      data: JSON.stringify(config?.data),
      checksum: deployment?.spec.template.metadata.annotations?.['checksum/config'] as string | undefined,
    };
  };
  const defaults = edge([]);

  it('is there', () => {
    expect(defaults.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    ['edge.resolver', ['--set', 'edge.resolver=coredns.kube-system.svc.cluster.local']],
    ['edge.trustedProxies', ['--set', 'edge.trustedProxies={10.0.0.0/8}']],
    ['edge.cache.size', ['--set', 'edge.cache.size=512m']],
    ['the namespace (the functions’ hosts)', ['--namespace', 'tickets']],
  ])('changes with %s, as the configuration does', (_, args) => {
    const changed = edge(args);
    expect(changed.data).not.toEqual(defaults.data);
    expect(changed.checksum).not.toEqual(defaults.checksum);
  });

  it('stays when the edge’s configuration does (a function’s scale changes nothing it reads)', () => {
    const other = edge(['--set', 'functions.issue-token.minScale=2']);
    expect(other.data).toEqual(defaults.data);
    expect(other.checksum).toEqual(defaults.checksum);
  });
});
