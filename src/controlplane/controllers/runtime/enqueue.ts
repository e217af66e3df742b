/**
 * The informer handlers most controllers register: enqueue an object of the kind they reconcile,
 * or enqueue the owner (by controller ownerReference) of a child they create. Shared so every
 * controller maps events to keys the same way.
 */
import type { InformerHandlers } from '../../client/informer.js';
import { objectKey } from '../../client/informer.js';
import type { KubeObject, OwnerReference } from '../../resources/types.js';
import type { ControllerContext } from './controller.js';

/** Adds, updates (the new object) and deletes enqueue the object's own namespace/name key. */
export function enqueueObject(ctx: Pick<ControllerContext, 'enqueue'>): InformerHandlers<KubeObject> {
  const enqueue = (o: KubeObject) => ctx.enqueue(objectKey(o));
  return { onAdd: enqueue, onUpdate: (_o, n) => enqueue(n), onDelete: enqueue };
}

type Child = { metadata?: { namespace?: string; ownerReferences?: OwnerReference[] } };

/**
 * Adds, updates (the new object) and deletes of a child enqueue its controller, when that is an
 * `apiVersion` `kind` (e.g. 'apps/v1' 'StatefulSet'), as namespace/name of the child's namespace.
 */
export function enqueueController(ctx: Pick<ControllerContext, 'enqueue'>, apiVersion: string, kind: string): InformerHandlers<Child> {
  const owner = (c: Child) => {
    const ref = c.metadata?.ownerReferences?.find((r) => r.controller && r.kind === kind && r.apiVersion === apiVersion);
    if (ref) ctx.enqueue(`${c.metadata?.namespace}/${ref.name}`);
  };
  return { onAdd: owner, onUpdate: (_o, n) => owner(n), onDelete: owner };
}
