/**
 * The root-ca-cert-publisher controller (as kube-controller-manager's): every active namespace has
 * a ConfigMap `kube-root-ca.crt` whose `ca.crt` is the CA the API server is served with, so a pod's
 * service-account volume can trust the API (and the ServiceAccount admission plugin's projected
 * volume finds it). Recreated when deleted, rewritten when edited.
 */
import { StatusError } from '../api/errors.js';
import { refs } from '../client/refs.js';
import type { KubeObject } from '../resources/types.js';
import type { Controller, ControllerContext } from './runtime/controller.js';
import type { Result } from './runtime/reconciler.js';

export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
/** Kubernetes annotates the ConfigMap with what it is for. */
const DESCRIPTION = 'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

export const rootCAPublisherController = (caPem: string): Controller => ({
  name: 'root-ca-cert-publisher',
  setup(ctx: ControllerContext) {
    const namespaces = ctx.informers.get(refs.namespaces);
    const configMaps = ctx.informers.get<ConfigMap>(refs.configmaps);
    const enqueue = (o: KubeObject) => ctx.enqueue(o.metadata?.name ?? '');
    namespaces.on({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n) });
    const mine = (cm: ConfigMap) => cm.metadata?.name === ROOT_CA_CONFIGMAP;
    configMaps.on({
      onUpdate: (_o, cm) => mine(cm) && ctx.enqueue(cm.metadata?.namespace ?? ''),
      onDelete: (cm) => mine(cm) && ctx.enqueue(cm.metadata?.namespace ?? ''),
    });
    return {
      async reconcile(ns: string): Promise<Result> {
        const namespace = namespaces.get(ns);
        if (!namespace || namespace.metadata?.deletionTimestamp) return {};
        const current = configMaps.get(`${ns}/${ROOT_CA_CONFIGMAP}`);
        if (current?.data?.['ca.crt'] === caPem) return {};
        const desired: ConfigMap = {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: ROOT_CA_CONFIGMAP, namespace: ns, annotations: { 'kubernetes.io/description': DESCRIPTION } },
          data: { 'ca.crt': caPem },
        };
        try {
          if (current) await ctx.client.update(refs.configmaps, { ...current, data: desired.data });
          else await ctx.client.create(refs.configmaps, desired);
        } catch (e) {
          // the namespace started terminating, or our cache lags behind a create: the next event settles it
          if (e instanceof StatusError && (e.reason === 'Forbidden' || e.reason === 'NotFound')) return {};
          throw e;
        }
        return {};
      },
    };
  },
});
