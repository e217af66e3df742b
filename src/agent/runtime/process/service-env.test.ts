import type { Service } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { serviceEnv, serviceHostFor } from './service-env.js';

const svc = (namespace: string, name: string, ports: { name?: string; port: number; protocol?: string }[], recorded: Record<string, number>, clusterIP = '10.96.0.10'): Service => ({
  metadata: { name, namespace, annotations: { 'proxy.berth.dev/ports': JSON.stringify(recorded) } },
  spec: { clusterIP, ports },
});

const redis = svc('shop', 'redis-master', [{ port: 6379 }], { '6379/TCP': 20123 });
const web = svc('shop', 'web', [{ name: 'http', port: 80 }, { name: 'dns', port: 53, protocol: 'UDP' }], { '80/TCP': 20200, '53/UDP': 20201 });
const api = svc('default', 'kubernetes', [{ name: 'https', port: 443 }], { '443/TCP': 20058 }, '10.96.0.1');

describe('serviceEnv', () => {
  it('gives the proxy address and port of each Service port, in the kubelet names', () => {
    expect(serviceEnv([redis, web, api], 'shop', '127.0.0.1', true)).toEqual({
      REDIS_MASTER_SERVICE_HOST: '127.0.0.1',
      REDIS_MASTER_SERVICE_PORT: '20123',
      REDIS_MASTER_PORT: 'tcp://127.0.0.1:20123',
      REDIS_MASTER_PORT_6379_TCP: 'tcp://127.0.0.1:20123',
      REDIS_MASTER_PORT_6379_TCP_PROTO: 'tcp',
      REDIS_MASTER_PORT_6379_TCP_PORT: '20123',
      REDIS_MASTER_PORT_6379_TCP_ADDR: '127.0.0.1',
      WEB_SERVICE_HOST: '127.0.0.1',
      WEB_SERVICE_PORT: '20200',
      WEB_SERVICE_PORT_HTTP: '20200',
      WEB_SERVICE_PORT_DNS: '20201',
      WEB_PORT: 'tcp://127.0.0.1:20200',
      WEB_PORT_80_TCP: 'tcp://127.0.0.1:20200',
      WEB_PORT_80_TCP_PROTO: 'tcp',
      WEB_PORT_80_TCP_PORT: '20200',
      WEB_PORT_80_TCP_ADDR: '127.0.0.1',
      WEB_PORT_53_UDP: 'udp://127.0.0.1:20201',
      WEB_PORT_53_UDP_PROTO: 'udp',
      WEB_PORT_53_UDP_PORT: '20201',
      WEB_PORT_53_UDP_ADDR: '127.0.0.1',
      KUBERNETES_SERVICE_HOST: '127.0.0.1',
      KUBERNETES_SERVICE_PORT: '20058',
      KUBERNETES_SERVICE_PORT_HTTPS: '20058',
      KUBERNETES_PORT: 'tcp://127.0.0.1:20058',
      KUBERNETES_PORT_443_TCP: 'tcp://127.0.0.1:20058',
      KUBERNETES_PORT_443_TCP_PROTO: 'tcp',
      KUBERNETES_PORT_443_TCP_PORT: '20058',
      KUBERNETES_PORT_443_TCP_ADDR: '127.0.0.1',
    });
  });

  it.each([
    ['enableServiceLinks: false keeps only the kubernetes Service', [redis, api], 'shop', false, ['KUBERNETES_']],
    ['another namespace\'s Services are left out', [redis, api], 'other', true, ['KUBERNETES_']],
    ['a headless Service has none', [svc('shop', 'db', [{ port: 5432 }], { '5432/TCP': 20300 }, 'None')], 'shop', true, []],
    ['a port without a proxy port yet has none', [svc('shop', 'new', [{ port: 80 }], {})], 'shop', true, []],
    ['a Service named kubernetes elsewhere is just a Service', [svc('shop', 'kubernetes', [{ port: 80 }], { '80/TCP': 20400 })], 'other', true, []],
  ] as const)('%s', (_what, services, ns, links, prefixes) => {
    const keys = Object.keys(serviceEnv([...services], ns, '127.0.0.1', links));
    expect(keys.length > 0).toBe(prefixes.length > 0);
    for (const k of keys) expect(prefixes.some((p) => k.startsWith(p))).toBe(true);
  });
});

describe('serviceHostFor', () => {
  it.each([
    [undefined, '127.0.0.1'],
    ['0.0.0.0', '127.0.0.1'],
    ['::', '127.0.0.1'],
    ['10.0.0.5', '10.0.0.5'],
  ])('a proxy on %s is reached at %s', (listen, want) => expect(serviceHostFor(listen)).toBe(want));
});
