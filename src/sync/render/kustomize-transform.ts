/**
 * The kustomize transformers berth supports, as pure edits of plain objects: commonLabels (with
 * selectors and pod template labels, following kustomize's field specs), commonAnnotations (with
 * pod template annotations), namespace, namePrefix/nameSuffix, images, and the name-reference fix
 * that points pod templates at renamed ConfigMaps, Secrets, ServiceAccounts and PVCs (and a
 * StatefulSet at its renamed Service).
 */
import { registry } from '../../controlplane/resources/registry.js';
import type { KubeObject } from '../../controlplane/resources/types.js';

type Json = Record<string, unknown>;

const isMap = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function groupOf(apiVersion: string | undefined): string {
  const slash = (apiVersion ?? '').indexOf('/');
  return slash < 0 ? '' : apiVersion!.slice(0, slash);
}

/** A kustomize field spec: where a transformer writes, for which group/kind, and whether it creates missing maps. */
interface FieldSpec {
  group?: string;
  kind?: string;
  path: string[];
  create: boolean;
}

const WORKLOADS: Array<[string, string]> = [
  ['apps', 'Deployment'],
  ['apps', 'ReplicaSet'],
  ['apps', 'DaemonSet'],
  ['apps', 'StatefulSet'],
  ['batch', 'Job'],
  ['', 'ReplicationController'],
];

const LABEL_SPECS: FieldSpec[] = [
  { path: ['metadata', 'labels'], create: true },
  { group: '', kind: 'Service', path: ['spec', 'selector'], create: true },
  { group: '', kind: 'ReplicationController', path: ['spec', 'selector'], create: true },
  { group: '', kind: 'ReplicationController', path: ['spec', 'template', 'metadata', 'labels'], create: true },
  ...(['Deployment', 'ReplicaSet', 'DaemonSet', 'StatefulSet'] as const).flatMap((kind): FieldSpec[] => [
    { kind, path: ['spec', 'selector', 'matchLabels'], create: true },
    { kind, path: ['spec', 'template', 'metadata', 'labels'], create: true },
  ]),
  { group: 'batch', kind: 'Job', path: ['spec', 'selector', 'matchLabels'], create: false },
  { group: 'batch', kind: 'Job', path: ['spec', 'template', 'metadata', 'labels'], create: true },
  { group: 'batch', kind: 'CronJob', path: ['spec', 'jobTemplate', 'spec', 'selector', 'matchLabels'], create: false },
  { group: 'batch', kind: 'CronJob', path: ['spec', 'jobTemplate', 'metadata', 'labels'], create: true },
  { group: 'batch', kind: 'CronJob', path: ['spec', 'jobTemplate', 'spec', 'template', 'metadata', 'labels'], create: true },
  { group: 'policy', kind: 'PodDisruptionBudget', path: ['spec', 'selector', 'matchLabels'], create: false },
  { group: 'networking.k8s.io', kind: 'NetworkPolicy', path: ['spec', 'podSelector', 'matchLabels'], create: false },
];

const ANNOTATION_SPECS: FieldSpec[] = [
  { path: ['metadata', 'annotations'], create: true },
  ...WORKLOADS.map(([group, kind]): FieldSpec => ({ group, kind, path: ['spec', 'template', 'metadata', 'annotations'], create: true })),
  { group: 'batch', kind: 'CronJob', path: ['spec', 'jobTemplate', 'metadata', 'annotations'], create: true },
  { group: 'batch', kind: 'CronJob', path: ['spec', 'jobTemplate', 'spec', 'template', 'metadata', 'annotations'], create: true },
];

function addToMaps(obj: KubeObject, specs: FieldSpec[], values: Record<string, string>): void {
  const group = groupOf(obj.apiVersion);
  for (const spec of specs) {
    if (spec.kind !== undefined && spec.kind !== obj.kind) continue;
    if (spec.group !== undefined && spec.group !== group) continue;
    let node: Json = obj;
    let ok = true;
    for (const key of spec.path) {
      if (!isMap(node[key])) {
        if (!spec.create) {
          ok = false;
          break;
        }
        node[key] = {};
      }
      node = node[key] as Json;
    }
    if (ok) Object.assign(node, values);
  }
}

/** commonLabels: metadata, selectors and pod template labels. */
export function addLabels(obj: KubeObject, labels: Record<string, string>): void {
  addToMaps(obj, LABEL_SPECS, labels);
  if (obj.kind === 'StatefulSet' && groupOf(obj.apiVersion) === 'apps') {
    const templates = (obj.spec as Json | undefined)?.volumeClaimTemplates;
    if (Array.isArray(templates)) for (const t of templates) if (isMap(t)) addToMaps(t as KubeObject, [LABEL_SPECS[0]], labels);
  }
}

/** commonAnnotations: metadata and pod template annotations. */
export function addAnnotations(obj: KubeObject, annotations: Record<string, string>): void {
  addToMaps(obj, ANNOTATION_SPECS, annotations);
}

/** Whether objects of this kind live in a namespace; kinds the registry does not know are assumed namespaced. */
export function isNamespaced(obj: KubeObject): boolean {
  return registry.findKind(obj.apiVersion ?? '', obj.kind ?? '')?.namespaced ?? true;
}

/** An `images` entry of a kustomization. */
export interface ImageOverride {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

/** Splits `registry/repo:tag@digest` into the name and the rest (`:tag`, `@digest` or both). */
function splitImage(image: string): { name: string; rest: string } {
  const at = image.indexOf('@');
  const beforeDigest = at < 0 ? image : image.slice(0, at);
  const colon = beforeDigest.lastIndexOf(':');
  const nameEnd = colon > beforeDigest.lastIndexOf('/') ? colon : beforeDigest.length;
  return { name: image.slice(0, nameEnd), rest: image.slice(nameEnd) };
}

/** images: rewrites the image of every container and init container whose image name matches. */
export function setImages(obj: KubeObject, overrides: ImageOverride[]): void {
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (isMap(node)) {
      for (const [key, value] of Object.entries(node)) {
        if ((key === 'containers' || key === 'initContainers') && Array.isArray(value)) {
          for (const c of value) if (isMap(c) && typeof c.image === 'string') c.image = newImage(c.image, overrides);
        }
        visit(value);
      }
    }
  };
  visit(obj);
}

function newImage(image: string, overrides: ImageOverride[]): string {
  const { name, rest } = splitImage(image);
  const o = overrides.find((x) => x.name === name);
  if (!o) return image;
  let tail = rest;
  if (o.newTag) tail = `:${o.newTag}`;
  if (o.digest) tail = `@${o.digest}`;
  return `${o.newName ?? name}${tail}`;
}

/** The pod spec inside a Pod, a workload's template or a CronJob's job template. */
export function podSpecOf(obj: KubeObject): Json | undefined {
  const spec = obj.spec;
  if (!isMap(spec)) return undefined;
  if (obj.kind === 'Pod') return spec;
  if (obj.kind === 'CronJob') {
    const job = spec.jobTemplate;
    return isMap(job) && isMap(job.spec) && isMap(job.spec.template) && isMap(job.spec.template.spec) ? job.spec.template.spec : undefined;
  }
  const template = spec.template;
  return isMap(template) && isMap(template.spec) ? template.spec : undefined;
}

/** Old → new names of renamed objects, by kind (ConfigMap, Secret, ServiceAccount, PersistentVolumeClaim, Service). */
export type Renames = Map<string, Map<string, string>>;

/**
 * Points a pod template's references at renamed objects: volumes (configMap, secret, projected
 * sources, persistentVolumeClaim), env valueFrom and envFrom, imagePullSecrets, serviceAccountName,
 * and a StatefulSet's serviceName.
 */
export function fixReferences(obj: KubeObject, renames: Renames): void {
  const pod = podSpecOf(obj);
  if (!pod) return;
  const rename = (kind: string, holder: unknown, field: string): void => {
    if (!isMap(holder) || typeof holder[field] !== 'string') return;
    const to = renames.get(kind)?.get(holder[field] as string);
    if (to !== undefined) holder[field] = to;
  };
  if (obj.kind === 'StatefulSet') rename('Service', obj.spec, 'serviceName');
  rename('ServiceAccount', pod, 'serviceAccountName');
  for (const s of asList(pod.imagePullSecrets)) rename('Secret', s, 'name');
  for (const v of asList(pod.volumes)) {
    if (!isMap(v)) continue;
    rename('ConfigMap', v.configMap, 'name');
    rename('Secret', v.secret, 'secretName');
    rename('PersistentVolumeClaim', v.persistentVolumeClaim, 'claimName');
    for (const src of asList(isMap(v.projected) ? v.projected.sources : undefined)) {
      if (!isMap(src)) continue;
      rename('ConfigMap', src.configMap, 'name');
      rename('Secret', src.secret, 'name');
    }
  }
  for (const c of [...asList(pod.containers), ...asList(pod.initContainers)]) {
    if (!isMap(c)) continue;
    for (const e of asList(c.env)) {
      if (!isMap(e) || !isMap(e.valueFrom)) continue;
      rename('ConfigMap', e.valueFrom.configMapKeyRef, 'name');
      rename('Secret', e.valueFrom.secretKeyRef, 'name');
    }
    for (const e of asList(c.envFrom)) {
      if (!isMap(e)) continue;
      rename('ConfigMap', e.configMapRef, 'name');
      rename('Secret', e.secretRef, 'name');
    }
  }
}

function asList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
