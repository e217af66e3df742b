/**
 * The metadata rules every write follows, as the apiserver's generic registry applies them: what the
 * server sets on create, what a client may not change on update, when `generation` moves. Pure.
 */
import { randomUUID } from 'node:crypto';
import type { KubeObject, ObjectMeta } from '../resources/types.js';
import { deepCopy } from './patch/json-value.js';

/** Characters Kubernetes uses for generateName suffixes (no vowels, no look-alikes). */
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function randomSuffix(length = 5): string {
  let s = '';
  for (let i = 0; i < length; i++) s += SUFFIX_ALPHABET[Math.floor(Math.random() * SUFFIX_ALPHABET.length)];
  return s;
}

let lastSecond = -1;
let lastStamp = '';

/** RFC 3339 at second precision, as Kubernetes' metav1.Time (formatted once per second). */
export function timestamp(ms = Date.now()): string {
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastSecond = second;
    lastStamp = new Date(second * 1000).toISOString().replace('.000Z', 'Z');
  }
  return lastStamp;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => deepEqual(ao[k], bo[k]));
}

export function clone<T>(v: T): T {
  return deepCopy(v);
}

export function meta(obj: KubeObject): ObjectMeta {
  if (!obj.metadata || typeof obj.metadata !== 'object') obj.metadata = {};
  return obj.metadata;
}

/** Everything but metadata and status: what `generation` tracks. */
export function specPart(obj: KubeObject): Record<string, unknown> {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return rest;
}

/** Sets what the server owns on a new object. */
export function initCreateMetadata(obj: KubeObject, now: number): void {
  const m = meta(obj);
  m.uid = randomUUID();
  m.creationTimestamp = timestamp(now);
  m.generation = 1;
  delete m.deletionTimestamp;
  delete m.deletionGracePeriodSeconds;
  delete m.resourceVersion;
  delete m.selfLink;
}

/**
 * Carries the server-owned metadata of `old` over to `next` (a client can't change uid,
 * creationTimestamp, deletion state, generation). Call `setGeneration` once `next` is final.
 */
export function carryUpdateMetadata(next: KubeObject, old: KubeObject): void {
  const m = meta(next);
  const o = old.metadata ?? {};
  m.uid = o.uid;
  m.creationTimestamp = o.creationTimestamp;
  m.name = o.name;
  if (o.namespace !== undefined) m.namespace = o.namespace;
  if (o.deletionTimestamp) {
    m.deletionTimestamp = o.deletionTimestamp;
    if (o.deletionGracePeriodSeconds !== undefined) m.deletionGracePeriodSeconds = o.deletionGracePeriodSeconds;
  } else {
    delete m.deletionTimestamp;
    delete m.deletionGracePeriodSeconds;
  }
  if (m.generateName === undefined && o.generateName !== undefined) m.generateName = o.generateName;
  m.generation = o.generation ?? 1;
  delete m.selfLink;
}

/** Bumps generation when the spec of the defaulted, admitted `next` differs from `old`'s. */
export function setGeneration(next: KubeObject, old: KubeObject): void {
  const gen = old.metadata?.generation ?? 1;
  meta(next).generation = deepEqual(specPart(next), specPart(old)) ? gen : gen + 1;
}

/** True when `next` differs from `old` in anything but resourceVersion and managedFields timestamps. */
export function isNoOpUpdate(next: KubeObject, old: KubeObject): boolean {
  const strip = (o: KubeObject) => {
    const { resourceVersion: _rv, managedFields, ...m } = o.metadata ?? {};
    const mf = managedFields?.map(({ time: _t, ...rest }) => rest);
    return { ...o, metadata: { ...m, managedFields: mf } };
  };
  return deepEqual(strip(next), strip(old));
}
