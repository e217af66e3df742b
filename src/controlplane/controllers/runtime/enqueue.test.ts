import { describe, expect, it } from 'vitest';
import { enqueueController, enqueueObject } from './enqueue.js';

const ref = (o: { kind?: string; apiVersion?: string; controller?: boolean }) => ({ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'u', controller: true, ...o });

describe('enqueueController', () => {
  it.each([
    ['its StatefulSet controller', [ref({})], ['ns/web']],
    ['a non-controller owner', [ref({ controller: false })], []],
    ['another kind', [ref({ kind: 'DaemonSet' })], []],
    ['another apiVersion', [ref({ apiVersion: 'apps/v1beta1' })], []],
    ['no owner', [], []],
  ])('a child with %s', (_name, ownerReferences, want) => {
    const keys: string[] = [];
    const h = enqueueController({ enqueue: (k) => keys.push(k) }, 'apps/v1', 'StatefulSet');
    const child = { metadata: { namespace: 'ns', ownerReferences } };
    h.onAdd!(child);
    h.onUpdate!({ metadata: { namespace: 'old' } }, child);
    h.onDelete!(child);
    expect(keys).toEqual([...want, ...want, ...want]);
  });
});

describe('enqueueObject', () => {
  it('enqueues namespace/name, the new object on update', () => {
    const keys: string[] = [];
    const h = enqueueObject({ enqueue: (k) => keys.push(k) });
    h.onAdd!({ metadata: { namespace: 'ns', name: 'a' } });
    h.onUpdate!({ metadata: { namespace: 'ns', name: 'old' } }, { metadata: { namespace: 'ns', name: 'b' } });
    h.onDelete!({ metadata: { name: 'c' } });
    expect(keys).toEqual(['ns/a', 'ns/b', 'c']);
  });
});
