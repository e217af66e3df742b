/**
 * From rendered manifests to what an Application wants in the cluster: each object completed
 * (the instance label, the destination namespace), split into ordinary objects in apply order and
 * hook Jobs. Shared by the controller and `berth app diff`, so both see the same objects.
 */
import type { ResourceRef } from '../../controlplane/client/client.js';
import { registry } from '../../controlplane/resources/registry.js';
import type { KubeObject } from '../../controlplane/resources/types.js';
import { hookOf } from '../apply/hooks.js';
import { applyOrder, waveOf } from '../apply/order.js';
import type { InventoryItem } from '../apply/prune.js';
import type { Hook } from './hook-runner.js';
import { INSTANCE_LABEL, instanceOf, type Application } from './types.js';

export interface Desired {
  obj: KubeObject;
  ref: ResourceRef;
  item: InventoryItem;
}

export interface DesiredSet {
  /** ordinary objects, in apply order */
  desired: Desired[];
  /** hook Jobs, one entry per phase they run in */
  hooks: (Hook & { wave: number })[];
}

export function itemOf(obj: KubeObject): InventoryItem {
  const [group, version] = (obj.apiVersion ?? '').includes('/') ? obj.apiVersion!.split('/') : ['', obj.apiVersion ?? ''];
  return { group, version, kind: obj.kind ?? '', namespace: obj.metadata?.namespace, name: obj.metadata?.name ?? '' };
}

export function apiVersionOf(i: InventoryItem): string {
  return i.group ? `${i.group}/${i.version}` : i.version;
}

export function describeItem(i: InventoryItem): string {
  return `${i.kind}/${i.namespace ? `${i.namespace}/` : ''}${i.name}`;
}

/**
 * The objects `app` wants from `objects` (rendered manifests, not modified). Throws an Error whose
 * message names the object for a kind berth does not serve, a cluster-scoped object in an
 * Application kept to its namespace, or a hook annotation berth does not run.
 */
export function desiredSet(app: Application, objects: KubeObject[]): DesiredSet {
  const desired: Desired[] = [];
  const hooks: DesiredSet['hooks'] = [];
  const { namespace: destination, overrideNamespace } = app.spec.destination;
  for (const obj of objects) {
    const type = registry.findKind(obj.apiVersion ?? '', obj.kind ?? '');
    if (!type) throw new Error(`${obj.kind}/${obj.metadata?.name}: berth does not serve ${obj.apiVersion} ${obj.kind}`);
    if (overrideNamespace && !type.namespaced) {
      if (type.kind === 'Namespace') continue;
      throw new Error(`${obj.kind}/${obj.metadata?.name}: cluster-scoped, but this Application keeps to namespace ${destination} (spec.destination.overrideNamespace); move it to another Application`);
    }
    const o: KubeObject = structuredClone(obj);
    o.metadata = { ...o.metadata, labels: { ...o.metadata?.labels, [INSTANCE_LABEL]: instanceOf(app) } };
    if (type.namespaced) o.metadata.namespace = overrideNamespace ? destination : (o.metadata.namespace ?? destination);
    else delete o.metadata.namespace;
    const r: ResourceRef = { group: type.group, version: type.version, resource: type.resource, namespaced: type.namespaced };
    const hook = hookOf(o);
    if (hook) for (const phase of hook.phases) hooks.push({ obj: o, ref: r, spec: hook, phase, wave: waveOf(o) });
    else desired.push({ obj: o, ref: r, item: itemOf(o) });
  }
  const byObj = new Map(desired.map((d) => [d.obj, d]));
  return { desired: applyOrder(desired.map((d) => d.obj)).map((o) => byObj.get(o)!), hooks };
}
