/**
 * The service account controller: every active namespace has a `default` ServiceAccount (pods that
 * name none run as it); it is recreated if deleted.
 */
import { StatusError } from '../api/errors.js';
import { refs } from '../client/refs.js';
import type { KubeObject } from '../resources/types.js';
import type { Controller, ControllerContext } from './runtime/controller.js';
import type { Result } from './runtime/reconciler.js';

export const DEFAULT_SERVICE_ACCOUNT = 'default';

export const serviceAccountController = (): Controller => ({
  name: 'serviceaccount-controller',
  setup(ctx: ControllerContext) {
    const namespaces = ctx.informers.get(refs.namespaces);
    const accounts = ctx.informers.get(refs.serviceaccounts);
    const enqueueNs = (o: KubeObject) => ctx.enqueue(o.metadata?.name ?? '');
    namespaces.on({ onAdd: enqueueNs, onUpdate: (_o, n) => enqueueNs(n) });
    accounts.on({
      onDelete: (sa) => {
        if (sa.metadata?.name === DEFAULT_SERVICE_ACCOUNT) ctx.enqueue(sa.metadata?.namespace ?? '');
      },
    });
    return {
      async reconcile(name: string): Promise<Result> {
        const ns = namespaces.get(name);
        if (!ns || ns.metadata?.deletionTimestamp) return {};
        if (accounts.get(`${name}/${DEFAULT_SERVICE_ACCOUNT}`)) return {};
        try {
          await ctx.client.create(refs.serviceaccounts, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: DEFAULT_SERVICE_ACCOUNT, namespace: name } });
        } catch (e) {
          // already there (our cache lags), or the namespace started terminating meanwhile
          if (!(e instanceof StatusError && (e.reason === 'AlreadyExists' || e.reason === 'Forbidden' || e.reason === 'NotFound'))) throw e;
        }
        return {};
      },
    };
  },
});
