/**
 * StatefulSet decisions (Kubernetes `pkg/controller/statefulset`): pods `<set>-<ordinal>` with a
 * stable hostname under the governing Service and a PVC per volumeClaimTemplate
 * (`<template>-<set>-<ordinal>`) that outlives the pod; OrderedReady creates ordinals in order, each
 * Running and Ready before the next, and removes the highest first; Parallel does not wait;
 * RollingUpdate replaces pods from the highest ordinal down to `partition`, one healthy pod at a
 * time; OnDelete leaves that to the user. Claims get owner references as
 * persistentVolumeClaimRetentionPolicy says, for the garbage collector. Pure.
 */
import type { StatefulSet, StatefulSetStatus } from 'kubernetes-types/apps/v1.js';
import type { PersistentVolumeClaim, Pod, PodTemplateSpec, Volume } from 'kubernetes-types/core/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { REVISION_HASH_LABEL } from './controller-revision.js';
import { availability, controllerRef, isRunningAndReady, isTerminal, isTerminating, soonest } from '../resources/pod-state.js';
import type { ControllerEvent } from './workload-decision.js';

export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';

/** A revision of the set's pod template: its ControllerRevision name and the template. */
export interface StatefulSetRevision {
  name: string;
  template: PodTemplateSpec | undefined;
}

export interface StatefulSetInput {
  sts: StatefulSet;
  /** pods the set controls, terminating ones included */
  pods: Pod[];
  /** the namespace's claims whose names the set's templates would produce */
  claims: PersistentVolumeClaim[];
  /** the revision the set is rolling from (status.currentRevision) and the one it rolls to */
  currentRevision: StatefulSetRevision;
  updateRevision: StatefulSetRevision;
  collisionCount: number;
  now: number;
}

export interface StatefulSetDecision {
  /** claims to create before the pods that mount them */
  createClaims: PersistentVolumeClaim[];
  create: Pod[];
  /** names of pods to delete */
  delete: string[];
  /** claims whose ownerReferences change (retention policy) */
  updateClaims: { name: string; ownerReferences: OwnerReference[] }[];
  status: StatefulSetStatus;
  events: ControllerEvent[];
  requeueAfterMs?: number;
}

/** The ordinal of a pod named `<set>-<n>`, or undefined. */
export function podOrdinal(sts: StatefulSet, pod: Pod): number | undefined {
  const prefix = `${sts.metadata?.name}-`;
  const name = pod.metadata?.name ?? '';
  if (!name.startsWith(prefix)) return undefined;
  const rest = name.slice(prefix.length);
  return /^(0|[1-9]\d*)$/.test(rest) ? Number(rest) : undefined;
}

export function claimName(templateName: string, sts: StatefulSet, ordinal: number): string {
  return `${templateName}-${sts.metadata?.name}-${ordinal}`;
}

/** The claim for `ordinal` from one of the set's volumeClaimTemplates. */
export function newClaim(sts: StatefulSet, template: PersistentVolumeClaim, ordinal: number): PersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name: claimName(template.metadata?.name ?? '', sts, ordinal),
      namespace: sts.metadata?.namespace,
      labels: { ...(template.metadata?.labels ?? {}), ...(sts.spec?.selector?.matchLabels ?? {}) },
      ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
    },
    spec: structuredClone(template.spec ?? {}),
  };
}

/** The pod for `ordinal` at `revision`: stable name and hostname, claims mounted, identity labels. */
export function newStatefulPod(sts: StatefulSet, ordinal: number, revision: StatefulSetRevision): Pod {
  const name = `${sts.metadata?.name}-${ordinal}`;
  const t = revision.template;
  const claimVolumes: Volume[] = (sts.spec?.volumeClaimTemplates ?? []).map((c) => ({
    name: c.metadata?.name ?? '',
    persistentVolumeClaim: { claimName: claimName(c.metadata?.name ?? '', sts, ordinal) },
  }));
  const volumes = [...(t?.spec?.volumes ?? []).filter((v) => !claimVolumes.some((c) => c.name === v.name)), ...claimVolumes];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: sts.metadata?.namespace,
      labels: { ...(t?.metadata?.labels ?? {}), [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal), [REVISION_HASH_LABEL]: revision.name },
      ...(t?.metadata?.annotations ? { annotations: { ...t.metadata.annotations } } : {}),
      ownerReferences: [controllerRef(sts, 'apps/v1', 'StatefulSet')],
    },
    spec: {
      ...(t?.spec ?? { containers: [] }),
      hostname: name,
      ...(sts.spec?.serviceName ? { subdomain: sts.spec.serviceName } : {}),
      ...(volumes.length ? { volumes } : {}),
    },
  };
}

function sameRefs(a: OwnerReference[], b: OwnerReference[]): boolean {
  const key = (r: OwnerReference) => `${r.uid}|${r.controller ?? false}`;
  return a.map(key).sort().join(',') === b.map(key).sort().join(',');
}

/** Decides claims, pods and status for one StatefulSet. */
export function decideStatefulSet(input: StatefulSetInput): StatefulSetDecision {
  const { sts, now, currentRevision, updateRevision } = input;
  const spec = sts.spec;
  const replicas = spec?.replicas ?? 1;
  const start = spec?.ordinals?.start ?? 0;
  const monotonic = (spec?.podManagementPolicy ?? 'OrderedReady') !== 'Parallel';
  const minReady = spec?.minReadySeconds ?? 0;
  const rolling = (spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
  const partition = rolling ? (spec?.updateStrategy?.rollingUpdate?.partition ?? 0) : 0;
  const events: ControllerEvent[] = [];
  const create: Pod[] = [];
  const createClaims: PersistentVolumeClaim[] = [];
  const del: string[] = [];
  const delays: (number | undefined)[] = [];
  const setRef: OwnerReference = { apiVersion: 'apps/v1', kind: 'StatefulSet', name: sts.metadata?.name ?? '', uid: sts.metadata?.uid ?? '' };
  const claims = new Map(input.claims.map((c) => [c.metadata?.name ?? '', c]));
  const revisionOf = (p: Pod) => p.metadata?.labels?.[REVISION_HASH_LABEL];
  const healthy = (p: Pod) => {
    if (!isRunningAndReady(p) || isTerminating(p)) return false;
    const a = availability(p, minReady, now);
    delays.push(a.availableInMs);
    return a.available;
  };

  const byOrdinal = new Map<number, Pod>();
  const condemned: Pod[] = [];
  for (const p of input.pods) {
    const o = podOrdinal(sts, p);
    if (o === undefined) continue;
    if (o >= start && o < start + replicas) byOrdinal.set(o, p);
    else condemned.push(p);
  }
  condemned.sort((a, b) => (podOrdinal(sts, b) ?? 0) - (podOrdinal(sts, a) ?? 0));

  // status: what is, before this round's actions
  const status: StatefulSetStatus = { observedGeneration: sts.metadata?.generation, replicas: 0, readyReplicas: 0, currentReplicas: 0, updatedReplicas: 0, availableReplicas: 0 };
  for (const p of [...byOrdinal.values(), ...condemned]) {
    status.replicas++;
    if (isTerminating(p)) continue;
    if (isRunningAndReady(p)) {
      status.readyReplicas = (status.readyReplicas ?? 0) + 1;
      if (availability(p, minReady, now).available) status.availableReplicas = (status.availableReplicas ?? 0) + 1;
    }
    if (revisionOf(p) === currentRevision.name) status.currentReplicas = (status.currentReplicas ?? 0) + 1;
    if (revisionOf(p) === updateRevision.name) status.updatedReplicas = (status.updatedReplicas ?? 0) + 1;
  }
  status.currentRevision = currentRevision.name;
  status.updateRevision = updateRevision.name;
  if (input.collisionCount) status.collisionCount = input.collisionCount;
  if (rolling && status.updatedReplicas === status.replicas && status.readyReplicas === status.replicas && status.replicas === replicas) {
    status.currentRevision = updateRevision.name;
    status.currentReplicas = status.updatedReplicas;
  }

  // claims each ordinal in range should have; missing ones are created with (or before) the pod
  const ensureClaims = (ordinal: number) => {
    for (const t of spec?.volumeClaimTemplates ?? []) {
      const name = claimName(t.metadata?.name ?? '', sts, ordinal);
      if (claims.has(name) || createClaims.some((c) => c.metadata?.name === name)) continue;
      const claim = newClaim(sts, t, ordinal);
      if (spec?.persistentVolumeClaimRetentionPolicy?.whenDeleted === 'Delete') claim.metadata = { ...claim.metadata, ownerReferences: [setRef] };
      createClaims.push(claim);
    }
  };

  let blocked = false;
  for (let o = start; o < start + replicas && !blocked; o++) {
    const pod = byOrdinal.get(o);
    if (!pod) {
      ensureClaims(o);
      create.push(newStatefulPod(sts, o, o - start < partition ? currentRevision : updateRevision));
      if (monotonic) blocked = true;
      continue;
    }
    if (isTerminal(pod) && !isTerminating(pod)) {
      events.push({ type: 'Warning', reason: 'RecreatingFailedPod', message: `StatefulSet ${sts.metadata?.namespace}/${sts.metadata?.name} is recreating ${pod.status?.phase === 'Failed' ? 'failed' : 'terminated'} Pod ${pod.metadata?.name}` });
      del.push(pod.metadata?.name ?? '');
      if (monotonic) blocked = true;
      continue;
    }
    ensureClaims(o);
    if (monotonic && !healthy(pod)) blocked = true;
  }

  // scale down: highest ordinal first; OrderedReady one at a time once the rest is healthy
  for (const p of condemned) {
    if (blocked) break;
    if (isTerminating(p)) {
      if (monotonic) blocked = true;
      continue;
    }
    del.push(p.metadata?.name ?? '');
    if (monotonic) blocked = true;
  }

  // rolling update: highest ordinal down to the partition, each replaced pod healthy before the next
  if (rolling && !blocked && condemned.length === 0) {
    for (let o = start + replicas - 1; o >= start + partition; o--) {
      const pod = byOrdinal.get(o);
      if (!pod || del.includes(pod.metadata?.name ?? '')) break;
      if (revisionOf(pod) !== updateRevision.name && !isTerminating(pod)) {
        del.push(pod.metadata?.name ?? '');
        break;
      }
      if (!healthy(pod)) break;
    }
  }

  // retention policy: the set owns claims when deleted; a condemned pod owns its claims when scaled
  const policy = spec?.persistentVolumeClaimRetentionPolicy;
  const updateClaims: StatefulSetDecision['updateClaims'] = [];
  const podsByOrdinal = new Map(input.pods.map((p) => [podOrdinal(sts, p), p]));
  for (const c of input.claims) {
    const match = (spec?.volumeClaimTemplates ?? []).map((t) => ({ t, m: (c.metadata?.name ?? '').startsWith(`${t.metadata?.name}-${sts.metadata?.name}-`) })).find((x) => x.m);
    if (!match) continue;
    const ordinal = Number((c.metadata?.name ?? '').slice(`${match.t.metadata?.name}-${sts.metadata?.name}-`.length));
    if (!Number.isInteger(ordinal)) continue;
    const current = c.metadata?.ownerReferences ?? [];
    const podUids = new Set(input.pods.map((p) => p.metadata?.uid));
    const kept = current.filter((r) => r.uid !== setRef.uid && !(r.kind === 'Pod' && podUids.has(r.uid)));
    const want = [...kept];
    if (policy?.whenDeleted === 'Delete') want.push(setRef);
    const pod = podsByOrdinal.get(ordinal);
    const isCondemned = ordinal < start || ordinal >= start + replicas;
    if (policy?.whenScaled === 'Delete' && isCondemned && pod) want.push({ apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '' });
    if (!sameRefs(current, want)) updateClaims.push({ name: c.metadata?.name ?? '', ownerReferences: want });
  }

  return { createClaims, create, delete: del, updateClaims, status, events, requeueAfterMs: soonest(...delays) };
}
