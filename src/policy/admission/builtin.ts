/**
 * Built-in admission plugins of Kubernetes that need little more than the object: ServiceAccount (a
 * pod without `serviceAccountName` runs as `default`, and gets the `kube-api-access-<random>`
 * projected volume — a TokenRequest token, the `kube-root-ca.crt` CA and its namespace — mounted at
 * /var/run/secrets/kubernetes.io/serviceaccount in every container unless automounting is off on the
 * pod or its ServiceAccount), DefaultTolerationSeconds (pods tolerate not-ready/unreachable nodes for
 * 300 s before eviction) and AlwaysPullImages (opt-in: every container pulls). NamespaceLifecycle
 * lives in the API's write path.
 */
import type { Pod, Toleration, Volume } from 'kubernetes-types/core/v1.js';
import type { AdmissionAttributes, AdmissionPlugin } from '../../controlplane/api/admission.js';
import { randomSuffix } from '../../controlplane/api/metadata.js';

function podOf(a: AdmissionAttributes): Pod | undefined {
  if (a.type.group !== '' || a.type.resource !== 'pods' || a.subresource || a.operation !== 'CREATE' || !a.object) return undefined;
  return a.object as unknown as Pod;
}

export const SERVICE_ACCOUNT_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
const API_ACCESS_PREFIX = 'kube-api-access-';

/** The projected volume Kubernetes gives pods for API access (token expiry 3607 s, as kube-apiserver sets). */
export function apiAccessVolume(name: string): Volume {
  return {
    name,
    projected: {
      defaultMode: 0o644,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
    },
  };
}

export interface ServiceAccountPluginOptions {
  /** the pod's ServiceAccount from a cache, to read its automountServiceAccountToken; undefined if unknown */
  serviceAccount?: (namespace: string, name: string) => { automountServiceAccountToken?: boolean } | undefined;
}

export function serviceAccountPlugin(opts: ServiceAccountPluginOptions = {}): AdmissionPlugin {
  return {
    name: 'ServiceAccount',
    mutate(a) {
      const pod = podOf(a);
      if (!pod?.spec) return;
      const spec = pod.spec;
      spec.serviceAccountName ||= spec.serviceAccount || 'default';
      spec.serviceAccount = spec.serviceAccountName;
      const automount = spec.automountServiceAccountToken ?? opts.serviceAccount?.(a.namespace, spec.serviceAccountName)?.automountServiceAccountToken ?? true;
      if (!automount) return;
      const containers = [...(spec.initContainers ?? []), ...spec.containers];
      const needs = containers.filter((c) => !(c.volumeMounts ?? []).some((m) => m.mountPath.replace(/\/+$/, '') === SERVICE_ACCOUNT_MOUNT_PATH));
      if (needs.length === 0) return;
      let volume = spec.volumes?.find((v) => v.name.startsWith(API_ACCESS_PREFIX) && v.projected);
      if (!volume) {
        volume = apiAccessVolume(API_ACCESS_PREFIX + randomSuffix(5));
        spec.volumes = [...(spec.volumes ?? []), volume];
      }
      for (const c of needs) c.volumeMounts = [...(c.volumeMounts ?? []), { name: volume.name, readOnly: true, mountPath: SERVICE_ACCOUNT_MOUNT_PATH }];
    },
  };
}

/** kube-apiserver's --default-not-ready-toleration-seconds and --default-unreachable-toleration-seconds (both 300). */
export interface DefaultTolerations {
  notReadySeconds?: number;
  unreachableSeconds?: number;
}

export function defaultTolerationSecondsPlugin(opts: DefaultTolerations = {}): AdmissionPlugin {
  const taints: [string, number][] = [
    ['node.kubernetes.io/not-ready', opts.notReadySeconds ?? 300],
    ['node.kubernetes.io/unreachable', opts.unreachableSeconds ?? 300],
  ];
  return {
    name: 'DefaultTolerationSeconds',
    mutate(a) {
      const pod = podOf(a);
      if (!pod?.spec) return;
      const tolerations: Toleration[] = (pod.spec.tolerations ??= []);
      for (const [key, seconds] of taints) {
        const covered = tolerations.some((t) => (t.operator === 'Exists' && !t.key) || (t.key === key && (!t.effect || t.effect === 'NoExecute')));
        if (!covered) tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: seconds });
      }
    },
  };
}

export const alwaysPullImagesPlugin: AdmissionPlugin = {
  name: 'AlwaysPullImages',
  mutate(a) {
    const pod = podOf(a);
    if (!pod?.spec) return;
    for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) c.imagePullPolicy = 'Always';
  },
};
