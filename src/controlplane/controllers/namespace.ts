/**
 * The namespace controller: a namespace being deleted (Terminating, spec.finalizers [kubernetes])
 * has everything inside it deleted, every namespaced kind in the registry; once nothing is left it
 * drops the `kubernetes` finalizer through the `finalize` subresource and the API server removes it.
 */
import { StatusError } from '../api/errors.js';
import { refOf, refs } from '../client/refs.js';
import { registry } from '../resources/registry.js';
import type { KubeObject } from '../resources/types.js';
import type { Controller, ControllerContext } from './runtime/controller.js';
import type { Result } from './runtime/reconciler.js';

/** How often a terminating namespace is checked while its content goes (pods may take a grace period). */
const RECHECK_MS = 200;

/** Namespaced kinds whose objects a namespace deletion removes: preferred versions that can be listed and deleted. */
export function namespacedContentTypes() {
  const preferred = new Map(registry.groups().map((g) => [g.name, g.preferredVersion]));
  return registry.all().filter((t) => t.namespaced && preferred.get(t.group) === t.version && t.verbs.includes('list') && t.verbs.includes('delete'));
}

export const namespaceController = (): Controller => ({
  name: 'namespace-controller',
  setup(ctx: ControllerContext) {
    const namespaces = ctx.informers.get(refs.namespaces);
    const enqueue = (o: KubeObject) => {
      if (o.metadata?.deletionTimestamp) ctx.enqueue(o.metadata.name ?? '');
    };
    namespaces.on({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n) });
    const types = namespacedContentTypes().map(refOf);

    return {
      async reconcile(name: string): Promise<Result> {
        const ns = namespaces.get(name);
        if (!ns?.metadata?.deletionTimestamp) return {};
        let remaining = 0;
        for (const ref of types) {
          const items = (await ctx.client.list(ref, { namespace: name })).items;
          remaining += items.length;
          await Promise.all(
            items
              .filter((o) => !o.metadata?.deletionTimestamp)
              .map((o) =>
                ctx.client.delete(ref, o.metadata?.name ?? '', { namespace: name, propagationPolicy: 'Background' }).catch((e) => {
                  if (!(e instanceof StatusError && (e.reason === 'NotFound' || e.reason === 'Conflict'))) throw e;
                }),
              ),
          );
        }
        if (remaining > 0) return { requeueAfterMs: RECHECK_MS };
        const finalizers = ((ns.spec as { finalizers?: string[] } | undefined)?.finalizers ?? []).filter((f) => f !== 'kubernetes');
        const res = await ctx.client.transport.request({
          method: 'PUT',
          path: `/api/v1/namespaces/${encodeURIComponent(name)}/finalize`,
          headers: { accept: 'application/json', 'content-type': 'application/json' },
          body: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, resourceVersion: ns.metadata.resourceVersion }, spec: { finalizers } }),
        });
        if (res.status === 404) return {};
        if (res.status >= 400) throw new StatusError(res.status === 409 ? 'Conflict' : 'InternalError', `finalize namespace ${name}: HTTP ${res.status} ${res.body.slice(0, 200)}`);
        return {};
      },
    };
  },
});
