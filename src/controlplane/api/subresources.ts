/**
 * Subresources: `status` (writes only status), `scale` (autoscaling/v1 Scale over spec.replicas),
 * pods `binding` (the scheduler's write) and `eviction` (drain's), namespaces `finalize`; pods `log`,
 * `exec`, `attach` and `portforward` are passed to the node agents through a `PodConnector`.
 */
import type { Duplex } from 'node:stream';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { decodeBody, isPlainObject } from './body.js';
import { errors, StatusError } from './errors.js';
import { UNCHANGED, type ObjectService } from './objects.js';
import { jsonResponse, type ApiResponse } from './request.js';
import { patchObject, writeOptions, writeResponse, type RestContext } from './rest.js';
import { timestamp } from './metadata.js';
import { applyJsonPatch } from './patch/json-patch.js';
import { applyMergePatch } from './patch/merge-patch.js';
import { formatLabelSelector } from '../store/selectors.js';
import type { KubeObject } from '../resources/types.js';
import type { CommandOutput, RemoteCommandOptions, RemoteCommandSession, StreamUpgrade } from './streaming/session.js';
import { remoteCommandOptions } from './streaming/stream-options.js';
import { registry } from '../resources/registry.js';
import { decideEviction, selectsPod } from '../resources/disruption-budget.js';

/**
 * Serves the pod subresources that live on the node running the pod (`log`, `exec`, `attach`,
 * `portforward`). The node agents' registry implements it (src/agent/connector.ts);
 * `setPodConnector` installs it on an API handler's ObjectService. Without one, these subresources
 * answer NotFound. Every call is for a pod already read and a request already authorized; errors
 * are StatusErrors the client sees.
 */
export interface PodConnector {
  /** answers GET pods/{name}/log */
  connect(subresource: string, pod: KubeObject, query: URLSearchParams, signal?: AbortSignal): Promise<ApiResponse>;
  /** starts `opts.command` in the container, as pods/exec */
  exec(pod: Pod, opts: RemoteCommandOptions, output: CommandOutput): Promise<RemoteCommandSession>;
  /** connects to the container's main process, as pods/attach */
  attach(pod: Pod, opts: RemoteCommandOptions, output: CommandOutput): Promise<RemoteCommandSession>;
  /** a TCP connection to `port` of the pod, as one pods/portforward connection */
  portForward(pod: Pod, port: number): Promise<Duplex>;
}

const podConnectors = new WeakMap<ObjectService, PodConnector>();

export function setPodConnector(objects: ObjectService, connector: PodConnector): void {
  podConnectors.set(objects, connector);
}

function success(details: Record<string, unknown>): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details, code: 201 };
}

function hasSubresource(ctx: RestContext, name: string): boolean {
  return ctx.type.subresources.some((s) => s.name === name);
}

export async function handleSubresource(objects: ObjectService, ctx: RestContext, method: string): Promise<ApiResponse> {
  const sub = ctx.path.subresource!;
  const name = ctx.path.name!;
  if (!hasSubresource(ctx, sub)) throw errors.notFound({ resource: `${ctx.type.resource}/${sub}`, group: ctx.type.group, name });
  switch (sub) {
    case 'status':
      return status(objects, ctx, name, method);
    case 'scale':
      return scale(objects, ctx, name, method);
    case 'binding':
      if (method !== 'POST') break;
      return binding(objects, ctx, name);
    case 'eviction':
      if (method !== 'POST') break;
      return eviction(objects, ctx, name);
    case 'finalize':
      if (method !== 'PUT') break;
      return finalize(objects, ctx, name);
    case 'log': {
      const connector = podConnectors.get(objects);
      if (!connector) throw new StatusError('NotFound', `${ctx.type.resource}/${sub} is served by the node agent running the pod, and none serves "${name}" yet`);
      if (method !== 'GET') throw errors.methodNotAllowed(`${method} is not supported on pods/log`);
      const { object } = await objects.get(ctx.type, ctx.namespace, name);
      return connector.connect(sub, object, ctx.req.query, ctx.req.signal);
    }
    case 'exec':
    case 'attach':
    case 'portforward': {
      const connector = podConnectors.get(objects);
      if (!connector) throw new StatusError('NotFound', `${ctx.type.resource}/${sub} is served by the node agent running the pod, and none serves "${name}" yet`);
      if (method !== 'GET' && method !== 'POST') throw errors.methodNotAllowed(`${method} is not supported on pods/${sub}`);
      const { object } = await objects.get(ctx.type, ctx.namespace, name);
      return { status: 101, headers: {}, upgrade: streamUpgrade(sub, object as Pod, ctx.req.query, connector) };
    }
    default:
      throw new StatusError('NotFound', `${ctx.type.resource}/${sub} is served by the node agent running the pod, and none serves "${name}" yet`);
  }
  throw errors.methodNotAllowed(`${method} is not supported on ${ctx.type.resource}/${sub}`);
}

/** What the transport upgrades an exec, attach or portforward request to. */
function streamUpgrade(sub: 'exec' | 'attach' | 'portforward', pod: Pod, query: URLSearchParams, connector: PodConnector): StreamUpgrade {
  if (!pod.spec?.nodeName) throw errors.badRequest(`pod ${pod.metadata?.name} does not have a host assigned`);
  if (sub === 'portforward') return { protocol: 'portforward', connect: (port) => connector.portForward(pod, port) };
  const options = remoteCommandOptions(sub, pod, query);
  const open = sub === 'exec' ? connector.exec.bind(connector) : connector.attach.bind(connector);
  return { protocol: 'remotecommand', subresource: sub, options, open: (output) => open(pod, options, output) };
}

async function status(objects: ObjectService, ctx: RestContext, name: string, method: string): Promise<ApiResponse> {
  if (method === 'GET') {
    const { stored } = await objects.get(ctx.type, ctx.namespace, name);
    return jsonResponse(200, stored.json);
  }
  const opts = writeOptions(ctx, 'status');
  if (method === 'PUT') {
    const body = decodeBody(ctx.req.body, ctx.req.headers['content-type']);
    if (!isPlainObject(body)) throw errors.badRequest(`the body must be a ${ctx.type.kind} object`);
    return writeResponse(200, await objects.update(ctx.type, ctx.namespace, name, body as KubeObject, opts));
  }
  if (method === 'PATCH') return writeResponse(200, await patchObject(objects, ctx, name, opts, Date.now));
  throw errors.methodNotAllowed(`${method} is not supported on ${ctx.type.resource}/status`);
}

/** The label selector of a scalable object as the Scale's status.selector string. */
function selectorString(obj: KubeObject): string {
  const sel = (obj.spec as { selector?: unknown } | undefined)?.selector;
  if (!isPlainObject(sel)) return '';
  // ReplicationController selectors are plain maps; the others are metav1.LabelSelector.
  if (!('matchLabels' in sel) && !('matchExpressions' in sel)) {
    return Object.entries(sel).map(([k, v]) => `${k}=${String(v)}`).join(',');
  }
  return formatLabelSelector(sel as Parameters<typeof formatLabelSelector>[0]);
}

function toScale(obj: KubeObject): Record<string, unknown> {
  const m = obj.metadata ?? {};
  const spec = (obj.spec ?? {}) as { replicas?: number };
  const st = (obj.status ?? {}) as { replicas?: number };
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: spec.replicas ?? 0 },
    status: { replicas: st.replicas ?? 0, selector: selectorString(obj) },
  };
}

async function scale(objects: ObjectService, ctx: RestContext, name: string, method: string): Promise<ApiResponse> {
  if (method === 'GET') {
    const { object } = await objects.get(ctx.type, ctx.namespace, name);
    return jsonResponse(200, toScale(object));
  }
  if (method !== 'PUT' && method !== 'PATCH') throw errors.methodNotAllowed(`${method} is not supported on ${ctx.type.resource}/scale`);
  const contentType = (ctx.req.headers['content-type'] ?? '').split(';')[0].trim();
  const body = decodeBody(ctx.req.body, contentType, method === 'PATCH');
  const opts = writeOptions(ctx, 'scale');
  let expectedRv: string | undefined;
  const result = await objects.mutate(
    ctx.type,
    ctx.namespace,
    name,
    (cur) => {
      if (!cur) return UNCHANGED;
      const current = toScale(cur);
      let next: unknown;
      if (method === 'PUT') next = body;
      else if (contentType === 'application/json-patch+json') next = applyJsonPatch(current, body);
      else if (contentType === 'application/merge-patch+json' || contentType === 'application/strategic-merge-patch+json') next = applyMergePatch(current, body);
      else throw new StatusError('UnsupportedMediaType', `scale accepts merge, strategic merge and JSON patches (got ${contentType || 'none'})`);
      const replicas = (next as { spec?: { replicas?: unknown } }).spec?.replicas;
      if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
        throw errors.invalid('Scale', 'autoscaling', name, [{ field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0` }]);
      }
      const rv = (next as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion;
      if (method === 'PUT' && rv) expectedRv = rv;
      if (expectedRv && expectedRv !== cur.metadata?.resourceVersion) throw errors.conflict({ resource: ctx.type.resource, group: ctx.type.group, name });
      return { ...cur, spec: { ...(cur.spec as object), replicas } };
    },
    opts,
  );
  return jsonResponse(200, toScale(result.object));
}

async function binding(objects: ObjectService, ctx: RestContext, name: string): Promise<ApiResponse> {
  const body = decodeBody(ctx.req.body, ctx.req.headers['content-type']);
  const target = isPlainObject(body) && isPlainObject(body.target) ? (body.target as { kind?: string; name?: string }) : undefined;
  if (!target?.name) {
    throw errors.invalid('Binding', '', name, [{ field: 'target.name', reason: 'FieldValueRequired', message: 'Required value: the node to bind to' }]);
  }
  if (target.kind && target.kind !== 'Node') throw errors.invalid('Binding', '', name, [{ field: 'target.kind', message: `Unsupported value: "${target.kind}": supported values: "Node"` }]);
  const opts = writeOptions(ctx, 'binding');
  await objects.mutate(
    ctx.type,
    ctx.namespace,
    name,
    (pod) => {
      if (!pod) return UNCHANGED;
      const spec = (pod.spec ?? {}) as { nodeName?: string };
      if (pod.metadata?.deletionTimestamp) throw errors.conflict({ resource: 'pods', group: '', name }, 'pod is being deleted, cannot be assigned to a host');
      if (spec.nodeName) throw errors.conflict({ resource: 'pods', group: '', name }, `pod ${name} is already assigned to node "${spec.nodeName}"`);
      spec.nodeName = target.name;
      pod.spec = spec;
      const st = (pod.status ?? {}) as { conditions?: Record<string, unknown>[] };
      const conditions = (st.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
      conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: timestamp() });
      pod.status = { ...st, conditions };
      return pod;
    },
    opts,
  );
  return jsonResponse(201, success({ name, kind: 'pods' }));
}

/** Conflicting writes to a budget (other evictions, the disruption controller) are retried this often. */
const EVICTION_RETRIES = 5;

/**
 * POST pods/{name}/eviction: the pod is deleted unless a PodDisruptionBudget forbids it (429
 * TooManyRequests, which kubectl drain retries); an allowed eviction first takes one disruption
 * from the budget, compare-and-swap on its resourceVersion, as the apiserver does.
 */
async function eviction(objects: ObjectService, ctx: RestContext, name: string): Promise<ApiResponse> {
  const body = decodeBody(ctx.req.body, ctx.req.headers['content-type']);
  const del = isPlainObject(body) && isPlainObject(body.deleteOptions) ? (body.deleteOptions as Record<string, unknown>) : {};
  const dryRun = (Array.isArray(del.dryRun) && del.dryRun.includes('All')) || ctx.req.query.getAll('dryRun').includes('All');
  const pdbType = registry.find('policy', 'v1', 'poddisruptionbudgets');
  for (let attempt = 0; pdbType; attempt++) {
    const { object: pod } = await objects.get(ctx.type, ctx.namespace, name);
    const budgets = (await objects.list(pdbType, ctx.namespace)) as PodDisruptionBudget[];
    const d = decideEviction(pod as Pod, budgets, Date.now());
    if (d.action === 'refuse') {
      if (d.code === 500) throw errors.internal(d.message);
      if (d.code === 403) throw errors.forbidden(`poddisruptionbudget.policy "${budgets.find((b) => selectsPod(b, pod as Pod))?.metadata?.name}" is forbidden: ${d.message}`);
      throw new StatusError('TooManyRequests', d.message, { causes: d.cause ? [{ reason: 'DisruptionBudget', message: d.cause }] : undefined, retryAfterSeconds: d.retryAfterSeconds });
    }
    if (d.action === 'charge' && !dryRun) {
      try {
        await objects.mutate(pdbType, ctx.namespace, d.pdb.metadata!.name!, (cur) => ({ ...cur!, status: d.status }), {
          user: ctx.user,
          dryRun: false,
          fieldManager: 'eviction',
          fieldValidation: 'Ignore',
          subresource: 'status',
          expectedRv: d.pdb.metadata?.resourceVersion,
        });
      } catch (e) {
        if (e instanceof StatusError && e.reason === 'Conflict' && attempt < EVICTION_RETRIES) continue;
        throw e;
      }
    }
    break;
  }
  await objects.delete(ctx.type, ctx.namespace, name, {
    gracePeriodSeconds: typeof del.gracePeriodSeconds === 'number' ? del.gracePeriodSeconds : undefined,
    preconditions: isPlainObject(del.preconditions) ? (del.preconditions as { uid?: string }) : undefined,
    dryRun,
    user: ctx.user,
  });
  return jsonResponse(201, success({ name, kind: 'pods' }));
}

/** PUT namespaces/{name}/finalize: only spec.finalizers changes; an emptied list lets a terminating namespace go. */
async function finalize(objects: ObjectService, ctx: RestContext, name: string): Promise<ApiResponse> {
  const body = decodeBody(ctx.req.body, ctx.req.headers['content-type']);
  if (!isPlainObject(body)) throw errors.badRequest('the body must be a Namespace');
  const finalizers = (body.spec as { finalizers?: unknown } | undefined)?.finalizers ?? [];
  if (!Array.isArray(finalizers) || finalizers.some((f) => typeof f !== 'string')) {
    throw errors.invalid('Namespace', '', name, [{ field: 'spec.finalizers', message: 'Invalid value: must be a list of strings' }]);
  }
  const result = await objects.mutate(
    ctx.type,
    '',
    name,
    (ns) => {
      if (!ns) return UNCHANGED;
      return { ...ns, spec: { ...(ns.spec as object), finalizers } };
    },
    writeOptions(ctx, 'finalize'),
  );
  return writeResponse(200, result);
}
