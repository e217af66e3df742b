import { describe, expect, it } from 'vitest';
import type { AdmissionAttributes } from '../../controlplane/api/admission.js';
import { registry } from '../../controlplane/resources/registry.js';
import type { KubeObject } from '../../controlplane/resources/types.js';
import { defaultTolerationSecondsPlugin, SERVICE_ACCOUNT_MOUNT_PATH, serviceAccountPlugin } from './builtin.js';

const podType = registry.findKind('v1', 'Pod')!;

function admit(spec: Record<string, unknown>, accounts: Record<string, { automountServiceAccountToken?: boolean }> = {}) {
  const object = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, spec } as KubeObject;
  const attrs = { operation: 'CREATE', type: podType, namespace: 'ns', name: 'p', object, user: { username: 'u', groups: [] }, dryRun: false, warnings: [] } as AdmissionAttributes;
  void serviceAccountPlugin({ serviceAccount: (_ns, name) => accounts[name] }).mutate!(attrs);
  return object.spec as { serviceAccountName?: string; volumes?: { name: string; projected?: { sources: unknown[] } }[]; containers: { volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[] }[]; initContainers?: { volumeMounts?: unknown[] }[] };
}

describe('ServiceAccount admission', () => {
  it('names the default account and mounts kube-api-access in every container', () => {
    const spec = admit({ containers: [{ name: 'a' }, { name: 'b' }], initContainers: [{ name: 'i' }] });
    expect(spec.serviceAccountName).toBe('default');
    expect(spec.volumes).toHaveLength(1);
    const v = spec.volumes![0];
    expect(v.name).toMatch(/^kube-api-access-[a-z0-9]{5}$/);
    expect(v.projected!.sources).toEqual([
      { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
    ]);
    for (const c of [...spec.containers, ...spec.initContainers!]) expect(c.volumeMounts).toEqual([{ name: v.name, readOnly: true, mountPath: SERVICE_ACCOUNT_MOUNT_PATH }]);
  });

  it.each([
    ['the pod turns it off', { automountServiceAccountToken: false, containers: [{ name: 'a' }] }, {}],
    ['its ServiceAccount turns it off', { serviceAccountName: 'quiet', containers: [{ name: 'a' }] }, { quiet: { automountServiceAccountToken: false } }],
    ['every container mounts something there already', { containers: [{ name: 'a', volumeMounts: [{ name: 'own', mountPath: SERVICE_ACCOUNT_MOUNT_PATH + '/' }] }], volumes: [{ name: 'own', emptyDir: {} }] }, {}],
  ])('adds no volume when %s', (_what, spec, accounts) => {
    expect((admit(spec, accounts).volumes ?? []).filter((v) => v.name.startsWith('kube-api-access-'))).toEqual([]);
  });

  it('the pod setting wins over its ServiceAccount', () => {
    expect(admit({ serviceAccountName: 'quiet', automountServiceAccountToken: true, containers: [{ name: 'a' }] }, { quiet: { automountServiceAccountToken: false } }).volumes).toHaveLength(1);
  });
});

describe('DefaultTolerationSeconds admission', () => {
  const tolerate = (tolerations: unknown[] | undefined, opts?: Parameters<typeof defaultTolerationSecondsPlugin>[0]) => {
    const object = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, spec: { containers: [], tolerations } } as KubeObject;
    const attrs = { operation: 'CREATE', type: podType, namespace: 'ns', name: 'p', object, user: { username: 'u', groups: [] }, dryRun: false, warnings: [] } as AdmissionAttributes;
    void defaultTolerationSecondsPlugin(opts).mutate!(attrs);
    return (object.spec as { tolerations: unknown[] }).tolerations;
  };
  const notReady = (s: number) => ({ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: s });
  const unreachable = (s: number) => ({ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: s });

  it('adds 300 s for each taint by default, and the flags\' seconds when given', () => {
    expect(tolerate(undefined)).toEqual([notReady(300), unreachable(300)]);
    expect(tolerate(undefined, { notReadySeconds: 7, unreachableSeconds: 3 })).toEqual([notReady(7), unreachable(3)]);
  });
  it("keeps a pod's own toleration of a taint", () => {
    const own = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 };
    expect(tolerate([own], { unreachableSeconds: 3 })).toEqual([own, notReady(300)]);
    expect(tolerate([{ operator: 'Exists' }])).toEqual([{ operator: 'Exists' }]);
  });
});
