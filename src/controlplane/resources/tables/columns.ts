/**
 * Building blocks of the server-side printers: the Name and Age columns every kind has, a column
 * constructor, and cell helpers kubectl's printers share (container names and images of a pod
 * template).
 */
import type { PodSpec } from 'kubernetes-types/core/v1.js';
import type { KubeObject, TableColumn, TablePrinter } from '../types.js';
import { since } from './age.js';

export const NAME_COLUMN: TableColumn = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description: 'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
  priority: 0,
};

export const AGE_COLUMN: TableColumn = {
  name: 'Age',
  type: 'string',
  format: '',
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.',
  priority: 0,
};

/** A column; `priority` 1 = shown only with `-o wide`. */
export function column(name: string, description: string, opts: { type?: TableColumn['type']; priority?: number; format?: string } = {}): TableColumn {
  return { name, type: opts.type ?? 'string', format: opts.format ?? '', description, priority: opts.priority ?? 0 };
}

export function wide(name: string, description: string): TableColumn {
  return column(name, description, { priority: 1 });
}

export function nameOf(obj: KubeObject): string {
  return obj.metadata?.name ?? '';
}

export function ageOf(obj: KubeObject, now: number): string {
  return since(obj.metadata?.creationTimestamp, now);
}

/** The printer for kinds without their own columns: NAME, AGE. */
export const NAME_AGE_PRINTER: TablePrinter = {
  columns: [NAME_COLUMN, AGE_COLUMN],
  cells: (obj, now) => [nameOf(obj), ageOf(obj, now)],
};

/** layoutContainerCells: comma-joined container names and images. */
export function containersAndImages(spec: PodSpec | undefined): [string, string] {
  const containers = spec?.containers ?? [];
  return [containers.map((c) => c.name).join(','), containers.map((c) => c.image ?? '').join(',')];
}

export const CONTAINERS_COLUMN = wide('Containers', 'Names of each container in the template.');
export const IMAGES_COLUMN = wide('Images', 'Images referenced by each container in the template.');
export const SELECTOR_COLUMN = wide('Selector', 'A label query over pods that should match the replica count.');
