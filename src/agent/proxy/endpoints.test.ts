/** Service backends from pods (selector, readiness, host ports): table tests. */
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { backends, endpointsBackends, forbiddenEndpointIP, hostPorts } from './endpoints.js';

function pod(name: string, opts: { labels?: Record<string, string>; ready?: boolean; ns?: string; hostPorts?: string; deleting?: boolean } = {}): Pod {
  const conditions = [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }];
  if (opts.hostPorts) conditions.push({ type: 'berth.dev/HostPorts', status: 'True', message: opts.hostPorts } as never);
  return {
    metadata: { name, namespace: opts.ns ?? 'default', labels: opts.labels ?? { app: 'web' }, ...(opts.deleting && { deletionTimestamp: 'now' }) },
    spec: { containers: [{ name: 'app', ports: [{ name: 'http', containerPort: 8080 }] }] },
    status: { phase: 'Running', podIP: '10.0.0.1', conditions },
  };
}

const svc: Service = { metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 'http' }] } };

describe('service backends', () => {
  it('parses the HostPorts condition', () => {
    expect(hostPorts(pod('a', { hostPorts: 'app/http: 8080→40001, side/9090: 9090→40002' }))).toEqual([
      { name: 'http', containerPort: 8080, hostPort: 40001 },
      { name: '9090', containerPort: 9090, hostPort: 40002 },
    ]);
  });

  it.each([
    ['named port through host ports', [pod('a', { hostPorts: 'app/http: 8080→40001' })], svc, ['a:40001']],
    ['named port without host ports: the container port', [pod('a')], svc, ['a:8080']],
    ['numeric targetPort mapped', [pod('a', { hostPorts: 'app/http: 8080→40001' })], { ...svc, spec: { ...svc.spec, ports: [{ port: 80, targetPort: 8080 }] } }, ['a:40001']],
    ['not ready, deleting, other labels or namespace: skipped', [pod('a', { ready: false }), pod('b', { deleting: true }), pod('c', { labels: { app: 'x' } }), pod('d', { ns: 'other' }), pod('e')], svc, ['e:8080']],
    ['no selector: no backends', [pod('a')], { ...svc, spec: { ...svc.spec, selector: undefined } }, []],
  ] as const)('%s', (_what, pods, service, want) => {
    expect(backends(service as Service, service.spec!.ports![0], pods).map((b) => `${b.pod}:${b.port}`)).toEqual(want);
  });
});

describe('endpoints backends (Services without a selector)', () => {
  const subsets = [
    { addresses: [{ ip: '10.0.0.2' }, { ip: '10.0.0.1' }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] },
    { addresses: [{ ip: '10.0.0.3' }], ports: [{ name: 'https', port: 6444, protocol: 'TCP' }, { name: 'metrics', port: 9000 }] },
  ];
  it.each([
    ['a named port takes the subset ports of its name', { name: 'https', port: 443 }, [['10.0.0.1', 6443], ['10.0.0.2', 6443], ['10.0.0.3', 6444]]],
    ['another name', { name: 'metrics', port: 9 }, [['10.0.0.3', 9000]]],
    ['an unnamed port takes only subsets with one port', { port: 443 }, [['10.0.0.1', 6443], ['10.0.0.2', 6443]]],
    ['a protocol must match', { name: 'https', port: 443, protocol: 'UDP' }, []],
  ])('%s', (_what, sp, want) => {
    expect(endpointsBackends(subsets, sp).map((b) => [b.host, b.port])).toEqual(want);
  });
  it('no Endpoints: no backends', () => expect(endpointsBackends(undefined, { port: 443 })).toEqual([]));

  it('skips loopback and link-local addresses unless trusted (the API server\'s own kubernetes Endpoints)', () => {
    const local = [{ addresses: [{ ip: '127.0.0.1' }, { ip: '169.254.169.254' }, { ip: '::1' }, { ip: '10.0.0.9' }], ports: [{ port: 6379 }] }];
    expect(endpointsBackends(local, { port: 6379 }).map((b) => b.host)).toEqual(['10.0.0.9']);
    expect(endpointsBackends(local, { port: 6379 }, true).map((b) => b.host).sort()).toEqual(['10.0.0.9', '127.0.0.1', '169.254.169.254', '::1'].sort());
  });

  it.each([
    ['127.0.0.1', true],
    ['127.9.9.9', true],
    ['169.254.0.1', true],
    ['0.0.0.0', true],
    ['::1', true],
    ['::', true],
    ['fe80::1', true],
    ['::ffff:127.0.0.1', true],
    ['not-an-ip', true],
    ['10.0.0.1', false],
    ['192.168.1.20', false],
    ['2001:db8::1', false],
  ])('forbiddenEndpointIP(%s) = %s', (ip, want) => expect(forbiddenEndpointIP(ip)).toBe(want));
});
