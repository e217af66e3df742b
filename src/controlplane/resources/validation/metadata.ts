/**
 * ObjectMeta validation every kind shares (apimachinery ValidateObjectMeta): name or generateName
 * per the kind's name rule, namespace present exactly for namespaced kinds, label and annotation
 * syntax, annotation size, owner references, finalizers.
 */
import type { StatusCause } from '../../api/errors.js';
import type { ObjectMeta } from '../types.js';
import { duplicate, forbidden, invalid, required, tooLong } from './field.js';
import { isQualifiedName, isValidLabelValue, nameIsDNSLabel, type NameValidator } from './names.js';

/** Annotations may hold at most this many bytes of keys and values together. */
export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

export function validateLabels(labels: Record<string, string> | undefined, field: string): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    for (const msg of isQualifiedName(k)) causes.push(invalid(field, k, msg));
    for (const msg of isValidLabelValue(String(v))) causes.push(invalid(field, v, msg));
  }
  return causes;
}

export function validateAnnotations(annotations: Record<string, string> | undefined, field: string): StatusCause[] {
  const causes: StatusCause[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    for (const msg of isQualifiedName(k.toLowerCase())) causes.push(invalid(field, k, msg));
    size += Buffer.byteLength(k) + Buffer.byteLength(String(v));
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) causes.push(tooLong(field, TOTAL_ANNOTATION_SIZE_LIMIT));
  return causes;
}

function validateOwnerReferences(meta: ObjectMeta, field: string): StatusCause[] {
  const causes: StatusCause[] = [];
  let controllers = 0;
  for (const ref of meta.ownerReferences ?? []) {
    if (!ref.apiVersion) causes.push(invalid(`${field}.apiVersion`, ref.apiVersion ?? '', 'version must not be empty'));
    if (!ref.kind) causes.push(invalid(`${field}.kind`, ref.kind ?? '', 'kind must not be empty'));
    if (!ref.name) causes.push(invalid(`${field}.name`, ref.name ?? '', 'name must not be empty'));
    if (!ref.uid) causes.push(invalid(`${field}.uid`, ref.uid ?? '', 'uid must not be empty'));
    if (ref.controller) controllers++;
  }
  if (controllers > 1) {
    causes.push(invalid(field, meta.ownerReferences, 'Only one reference can have Controller set to true'));
  }
  return causes;
}

function validateFinalizers(finalizers: string[] | undefined, field: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const seen = new Set<string>();
  for (const f of finalizers ?? []) {
    for (const msg of isQualifiedName(f)) causes.push(invalid(field, f, msg));
    if (seen.has(f)) causes.push(duplicate(field, f));
    seen.add(f);
  }
  if (seen.has('orphan') && seen.has('foregroundDeletion')) {
    causes.push(invalid(field, finalizers, 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
  return causes;
}

/** ObjectMeta of a top-level object; `nameFn` is the kind's name rule. */
export function validateObjectMeta(meta: ObjectMeta | undefined, namespaced: boolean, nameFn: NameValidator): StatusCause[] {
  const m = meta ?? {};
  const causes: StatusCause[] = [];
  if (m.generateName) for (const msg of nameFn(m.generateName, true)) causes.push(invalid('metadata.generateName', m.generateName, msg));
  if (!m.name) causes.push(required('metadata.name', 'name or generateName is required'));
  else for (const msg of nameFn(m.name, false)) causes.push(invalid('metadata.name', m.name, msg));
  if (namespaced) {
    if (!m.namespace) causes.push(required('metadata.namespace'));
    else for (const msg of nameIsDNSLabel(m.namespace, false)) causes.push(invalid('metadata.namespace', m.namespace, msg));
  } else if (m.namespace) {
    causes.push(forbidden('metadata.namespace', 'not allowed on this type'));
  }
  if (typeof m.generation === 'number' && m.generation < 0) causes.push(invalid('metadata.generation', m.generation, 'must be greater than or equal to 0'));
  causes.push(...validateLabels(m.labels, 'metadata.labels'));
  causes.push(...validateAnnotations(m.annotations, 'metadata.annotations'));
  causes.push(...validateOwnerReferences(m, 'metadata.ownerReferences'));
  causes.push(...validateFinalizers(m.finalizers, 'metadata.finalizers'));
  return causes;
}

/** Labels and annotations of an embedded ObjectMeta (a pod template's), at `field`. */
export function validateTemplateMeta(meta: Pick<ObjectMeta, 'labels' | 'annotations'> | undefined, field: string): StatusCause[] {
  return [...validateLabels(meta?.labels, `${field}.labels`), ...validateAnnotations(meta?.annotations, `${field}.annotations`)];
}
