/**
 * Built-in admission plugins of Kubernetes that need no other state than the object:
 * ServiceAccount (a pod without `serviceAccountName` runs as `default`), DefaultTolerationSeconds
 * (pods tolerate not-ready/unreachable nodes for 300 s before eviction) and AlwaysPullImages
 * (opt-in: every container pulls). NamespaceLifecycle lives in the API's write path.
 */
import type { Pod, Toleration } from 'kubernetes-types/core/v1.js';
import type { AdmissionAttributes, AdmissionPlugin } from '../../controlplane/api/admission.js';

function podOf(a: AdmissionAttributes): Pod | undefined {
  if (a.type.group !== '' || a.type.resource !== 'pods' || a.subresource || a.operation !== 'CREATE' || !a.object) return undefined;
  return a.object as unknown as Pod;
}

export const serviceAccountPlugin: AdmissionPlugin = {
  name: 'ServiceAccount',
  mutate(a) {
    const pod = podOf(a);
    if (!pod?.spec) return;
    pod.spec.serviceAccountName ||= pod.spec.serviceAccount || 'default';
    pod.spec.serviceAccount = pod.spec.serviceAccountName;
  },
};

const TAINTS = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'];

export function defaultTolerationSecondsPlugin(seconds = 300): AdmissionPlugin {
  return {
    name: 'DefaultTolerationSeconds',
    mutate(a) {
      const pod = podOf(a);
      if (!pod?.spec) return;
      const tolerations: Toleration[] = (pod.spec.tolerations ??= []);
      for (const key of TAINTS) {
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
