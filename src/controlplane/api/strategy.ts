/**
 * What the apiserver's per-kind strategies do on create beyond defaulting: reset status to what a
 * new object starts with (Nodes keep theirs), and generate a Job's selector from its uid (unless
 * manualSelector).
 */
import type { KubeObject, ResourceType } from '../resources/types.js';

type Resources = { requests?: Record<string, string>; limits?: Record<string, string> };

/** Pod QoS class from container requests and limits (Guaranteed / Burstable / BestEffort). */
export function qosClass(pod: KubeObject): string {
  const spec = (pod.spec ?? {}) as { containers?: { resources?: Resources }[]; initContainers?: { resources?: Resources }[] };
  const all = [...(spec.containers ?? []), ...(spec.initContainers ?? [])];
  let any = false;
  let guaranteed = all.length > 0;
  for (const c of all) {
    const r = c.resources ?? {};
    const req = r.requests ?? {};
    const lim = r.limits ?? {};
    if (Object.keys(req).length > 0 || Object.keys(lim).length > 0) any = true;
    for (const res of ['cpu', 'memory']) {
      const l = lim[res];
      const q = req[res] ?? l;
      if (l === undefined || q !== l) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** Labels Kubernetes puts on a Job's pods and selects them by (batch/v1 job strategy). */
function generateJobSelector(job: KubeObject): void {
  const spec = (job.spec ?? {}) as { manualSelector?: boolean; selector?: unknown; template?: { metadata?: { labels?: Record<string, string> } } };
  if (spec.manualSelector === true) return;
  const uid = job.metadata?.uid ?? '';
  const name = job.metadata?.name ?? '';
  spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
  const template = (spec.template ??= {});
  const meta = (template.metadata ??= {});
  meta.labels = { ...(meta.labels ?? {}), 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': name, 'controller-uid': uid, 'job-name': name };
  job.spec = spec;
}

/** Runs after the server set uid and timestamps, before defaulting and validation. */
export function prepareForCreate(type: ResourceType, obj: KubeObject): void {
  const core = type.group === '';
  if (core && type.resource === 'pods') obj.status = { phase: 'Pending', qosClass: qosClass(obj) };
  else if (core && type.resource === 'namespaces') obj.status = { phase: 'Active' };
  else if (core && (type.resource === 'persistentvolumeclaims' || type.resource === 'persistentvolumes')) obj.status = { phase: 'Pending' };
  // Nodes keep the status they are created with: an agent registers its Node with it (nodeStrategy).
  else if (type.hasStatus && !(core && type.resource === 'nodes')) delete obj.status;
  if (type.group === 'batch' && type.resource === 'jobs') generateJobSelector(obj);
}
