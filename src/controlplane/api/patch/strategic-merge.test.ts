import { describe, expect, it } from 'vitest';
import { statusErrorOf } from '../testing.js';
import type { SchemaNode } from '../../resources/types.js';
import type { JsonObject } from './json-value.js';
import { applyStrategicMergePatch } from './strategic-merge.js';
import { deploymentSchema, podSchema, widgetSchema } from './testdata/schemas.js';

/**
 * The `MergeItem` type of apimachinery's strategicpatch tests, as a schema, so their cases can be
 * carried over as they are written there.
 */
const mergeItem: SchemaNode = { type: 'object' };
const retainKeysMergeItem: SchemaNode = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    value: { type: 'string' },
    other: { type: 'string' },
    simpleMap: { type: 'object', additionalProperties: { type: 'string' } },
    mergingIntList: { type: 'array', items: { type: 'integer' }, patchStrategy: 'merge' },
  },
};
mergeItem.properties = {
  name: { type: 'string' },
  value: { type: 'string' },
  other: { type: 'string' },
  mergingList: { type: 'array', items: mergeItem, patchStrategy: 'merge', patchMergeKey: 'name' },
  nonMergingList: { type: 'array', items: mergeItem },
  mergingIntList: { type: 'array', items: { type: 'integer' }, patchStrategy: 'merge' },
  nonMergingIntList: { type: 'array', items: { type: 'integer' } },
  simpleMap: { type: 'object', additionalProperties: { type: 'string' } },
  retainKeysMap: { ...retainKeysMergeItem, patchStrategy: 'retainKeys' },
  retainKeysMergingList: { type: 'array', items: mergeItem, patchStrategy: 'merge,retainKeys', patchMergeKey: 'name' },
};

describe('applyStrategicMergePatch: apimachinery strategicpatch cases', () => {
  const cases: Array<[string, JsonObject, JsonObject, JsonObject]> = [
    ['unique scalars when merging lists', { mergingIntList: [1, 2] }, { mergingIntList: [2, 3] }, { mergingIntList: [1, 2, 3] }],
    ['delete map from nested map', { simpleMap: { key1: '1', key2: '1' } }, { simpleMap: { $patch: 'delete' } }, { simpleMap: {} }],
    ['delete all items from merging list', { mergingList: [{ name: '1' }, { name: '2' }] }, { mergingList: [{ $patch: 'replace' }] }, { mergingList: [] }],
    ['delete all keys from map', { name: '1', value: '1' }, { $patch: 'replace' }, {}],
    ['add key and delete all keys from map', { name: '1', value: '1' }, { other: 'a', $patch: 'replace' }, { other: 'a' }],
    [
      'delete all duplicate entries in a merging list',
      { mergingList: [{ name: '1' }, { name: '1' }, { name: '2', value: 'a' }, { name: '3' }, { name: '3' }] },
      { mergingList: [{ name: '1', $patch: 'delete' }, { name: '3', $patch: 'delete' }] },
      { mergingList: [{ name: '2', value: 'a' }] },
    ],
    [
      'preserve the order from the patch in a merging list',
      { mergingList: [{ name: '1' }, { name: '2', value: 'b' }, { name: '3' }] },
      { mergingList: [{ name: '3', value: 'c' }, { name: '1', value: 'a' }, { name: '2', other: 'x' }] },
      { mergingList: [{ name: '3', value: 'c' }, { name: '1', value: 'a' }, { name: '2', value: 'b', other: 'x' }] },
    ],
    [
      'server-only items keep their place before later patch items',
      { mergingList: [{ name: '1' }, { name: '2', value: 'b' }, { name: '3' }] },
      { mergingList: [{ name: '3', value: 'c' }, { name: '1', value: 'a' }] },
      { mergingList: [{ name: '2', value: 'b' }, { name: '3', value: 'c' }, { name: '1', value: 'a' }] },
    ],
    ['preserve the order from the patch in a merging int list', { mergingIntList: [1, 2, 3] }, { mergingIntList: [3, 1, 2] }, { mergingIntList: [3, 1, 2] }],
    ['and with a server-only int', { mergingIntList: [1, 2, 3] }, { mergingIntList: [3, 1] }, { mergingIntList: [2, 3, 1] }],
    [
      '$setElementOrder contains an item that is not in the list',
      { mergingList: [{ name: '1' }, { name: '3' }] },
      { '$setElementOrder/mergingList': [{ name: '3' }, { name: '2' }, { name: '1' }], mergingList: [{ name: '3', value: '3' }, { name: '1', value: '1' }] },
      { mergingList: [{ name: '3', value: '3' }, { name: '1', value: '1' }] },
    ],
    ['$setElementOrder alone reorders an int list', { mergingIntList: [1, 3] }, { '$setElementOrder/mergingIntList': [3, 2, 1] }, { mergingIntList: [3, 1] }],
    ['$deleteFromPrimitiveList of a missing item', { mergingIntList: [1, 2] }, { '$deleteFromPrimitiveList/mergingIntList': [3] }, { mergingIntList: [1, 2] }],
    ['$deleteFromPrimitiveList on a null list', { mergingIntList: null }, { '$deleteFromPrimitiveList/mergingIntList': [3] }, { mergingIntList: null }],
    ['$deleteFromPrimitiveList does not add the list', { foo: ['bar'] }, { '$deleteFromPrimitiveList/mergingIntList': [3] }, { foo: ['bar'] }],
    ['$deleteFromPrimitiveList on a merging list', { mergingIntList: [1, 2, 3] }, { '$deleteFromPrimitiveList/mergingIntList': [2] }, { mergingIntList: [1, 3] }],
    ['$deleteFromPrimitiveList on a non-merging list', { nonMergingIntList: [1, 2, 3] }, { '$deleteFromPrimitiveList/nonMergingIntList': [2] }, { nonMergingIntList: [1, 3] }],
    [
      'nested patch merge with empty list',
      { name: 'hi' },
      { mergingList: [{ name: 'hello' }, { $patch: 'delete', name: 'doesntexist' }] },
      { name: 'hi', mergingList: [{ name: 'hello' }] },
    ],
    [
      'delete items in lists of scalars (three-way)',
      { mergingIntList: [1, 2, 3, 4] },
      { '$setElementOrder/mergingIntList': [1, 2], '$deleteFromPrimitiveList/mergingIntList': [3] },
      { mergingIntList: [1, 2, 4] },
    ],
    [
      'merge lists of maps (three-way)',
      { mergingList: [{ name: '1', other: 'a' }, { name: '2', value: '2', other: 'b' }] },
      { '$setElementOrder/mergingList': [{ name: '4' }, { name: '1' }, { name: '2' }, { name: '3' }], mergingList: [{ name: '4', value: '4' }, { name: '3', value: '3' }] },
      { mergingList: [{ name: '4', value: '4' }, { name: '1', other: 'a' }, { name: '2', value: '2', other: 'b' }, { name: '3', value: '3' }] },
    ],
    [
      'add map and delete map from merging list (three-way)',
      { mergingList: [{ name: '1' }, { name: '2', other: 'b' }, { name: '4', other: 'c' }] },
      { '$setElementOrder/mergingList': [{ name: '2' }, { name: '3' }], mergingList: [{ name: '3' }, { name: '1', $patch: 'delete' }] },
      { mergingList: [{ name: '2', other: 'b' }, { name: '4', other: 'c' }, { name: '3' }] },
    ],
    [
      'set elements order in a list with server-only items',
      { mergingList: [{ name: '1', other: 'a' }, { name: '2' }, { name: '9' }, { name: '3' }, { name: '4' }] },
      { '$setElementOrder/mergingList': [{ name: '2' }, { name: '1' }, { name: '4' }, { name: '3' }] },
      { mergingList: [{ name: '2' }, { name: '1', other: 'a' }, { name: '9' }, { name: '4' }, { name: '3' }] },
    ],
    [
      'set elements order in a list with several server-only items',
      { mergingList: ['1', '2', '7', '9', '8', '3', '4'].map((name) => ({ name })) },
      { '$setElementOrder/mergingList': [{ name: '2' }, { name: '1' }, { name: '4' }, { name: '3' }] },
      { mergingList: ['2', '1', '7', '9', '8', '4', '3'].map((name) => ({ name })) },
    ],
    [
      'add and delete an item in an int list and preserve order',
      { mergingIntList: [1, 2, 3] },
      { '$setElementOrder/mergingIntList': [4, 2, 1], mergingIntList: [4], '$deleteFromPrimitiveList/mergingIntList': [3] },
      { mergingIntList: [4, 2, 1] },
    ],
    [
      'replace non merging list nested in merging list',
      { mergingList: [{ name: '1', other: 'a', nonMergingList: [{ name: '1' }, { name: '2', value: '2' }] }, { name: '2', other: 'b' }] },
      { '$setElementOrder/mergingList': [{ name: '1' }, { name: '2' }], mergingList: [{ name: '1', nonMergingList: [{ name: '1', value: '1' }] }] },
      { mergingList: [{ name: '1', other: 'a', nonMergingList: [{ name: '1', value: '1' }] }, { name: '2', other: 'b' }] },
    ],
    ['retainKeys map should clear defaulted field', { retainKeysMap: { value: 'foo' } }, { retainKeysMap: { $retainKeys: ['other'], other: 'bar' } }, { retainKeysMap: { other: 'bar' } }],
    [
      'retainKeys map adds a field and clears a field',
      { retainKeysMap: { name: 'foo', other: 'a' } },
      { retainKeysMap: { $retainKeys: ['name', 'value'], value: 'bar' } },
      { retainKeysMap: { name: 'foo', value: 'bar' } },
    ],
    [
      'retainKeys map deletes a field and clears a field',
      { retainKeysMap: { name: 'foo', value: 'bar', other: 'a' } },
      { retainKeysMap: { $retainKeys: ['name'], value: null } },
      { retainKeysMap: { name: 'foo' } },
    ],
    [
      'retainKeys map adds a field in a nested map',
      { retainKeysMap: { name: 'foo', value: 'bar', simpleMap: { key1: 'a', key3: 'c' } } },
      { retainKeysMap: { $retainKeys: ['name', 'simpleMap', 'value'], simpleMap: { key2: 'b' } } },
      { retainKeysMap: { name: 'foo', value: 'bar', simpleMap: { key1: 'a', key2: 'b', key3: 'c' } } },
    ],
    [
      'retainKeys in a merging list item',
      { retainKeysMergingList: [{ name: 'bar' }, { name: 'foo', value: 'a', other: 'x' }] },
      { retainKeysMergingList: [{ name: 'foo', $retainKeys: ['name', 'value'], value: 'b' }] },
      { retainKeysMergingList: [{ name: 'bar' }, { name: 'foo', value: 'b' }] },
    ],
    ['defined nulls do not land in new fields', { name: 'a' }, { value: '1', other: null, simpleMap: { k: null, j: 'x' } }, { name: 'a', value: '1', simpleMap: { j: 'x' } }],
  ];
  it.each(cases)('%s', (_name, original, patch, want) => {
    const before = structuredClone(original);
    expect(applyStrategicMergePatch(original, patch, mergeItem)).toStrictEqual(want);
    expect(original).toStrictEqual(before);
  });

  const bad: Array<[string, JsonObject, JsonObject, number, string]> = [
    [
      'an order that contradicts $setElementOrder',
      { mergingList: [{ name: '1' }, { name: '3' }, { name: '2' }] },
      { '$setElementOrder/mergingList': [{ name: '1' }, { name: '2' }, { name: '3' }], mergingList: [{ name: '3', value: '3' }, { name: '1', value: '1' }] },
      400,
      "doesn't match $setElementOrder list",
    ],
    ['a missing merge key', { mergingList: [{ name: '1', value: 'a' }] }, { mergingList: [{ value: 'b' }] }, 400, 'map: map[value:b] does not contain declared merge key: name'],
    ['a key outside $retainKeys', { retainKeysMap: { name: 'a' } }, { retainKeysMap: { $retainKeys: ['name'], value: 'x' } }, 400, 'invalid patch format of retainKeys'],
    ['an unknown $patch', { simpleMap: { a: '1' } }, { simpleMap: { $patch: 'frobnicate' } }, 400, 'unknown patch type: frobnicate in map: map[$patch:frobnicate]'],
    ['a directive without a list name', { mergingIntList: [1] }, { $setElementOrder: [1] }, 400, 'invalid patch format of setElementOrder list'],
    ['a list of lists', { mergingIntList: [1] }, { mergingIntList: [[2]] }, 422, 'the server rejected our request due to an error in our request'],
    ['a null item in a list of maps', { mergingList: [{ name: '1' }] }, { mergingList: [null] }, 400, 'list element types are not identical'],
  ];
  it.each(bad)('rejects %s', (_name, original, patch, code, message) => {
    const err = statusErrorOf(() => applyStrategicMergePatch(original, patch, mergeItem));
    expect(err.code).toBe(code);
    expect(err.message).toContain(message);
  });

  it('rejects a body that is not an object', () => {
    expect(statusErrorOf(() => applyStrategicMergePatch({}, [1], mergeItem)).code).toBe(400);
  });
});

function pod(): JsonObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web',
      labels: { app: 'web', tier: 'frontend' },
      finalizers: ['example.com/a', 'example.com/b'],
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'u1', controller: true }],
    },
    spec: {
      containers: [
        {
          name: 'web',
          image: 'nginx:1.25',
          env: [
            { name: 'A', value: '1' },
            { name: 'B', value: '2' },
          ],
          ports: [{ containerPort: 80, protocol: 'TCP' }],
        },
        { name: 'sidecar', image: 'busybox' },
      ],
      volumes: [{ name: 'data', emptyDir: {} }],
      tolerations: [{ key: 'a', operator: 'Exists' }],
    },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }, { type: 'Initialized', status: 'True' }] },
  };
}

describe('applyStrategicMergePatch on a Pod', () => {
  const cases: Array<[string, JsonObject, (p: JsonObject) => void]> = [
    [
      'merges containers by name',
      { spec: { containers: [{ name: 'web', image: 'nginx:1.26' }] } },
      (p) => {
        const spec = p.spec as JsonObject;
        spec.containers = [{ ...(spec.containers as JsonObject[])[0], image: 'nginx:1.26' }, (spec.containers as JsonObject[])[1]];
      },
    ],
    [
      'deletes an env item with $patch: delete',
      { spec: { containers: [{ name: 'web', '$setElementOrder/env': [{ name: 'A' }], env: [{ $patch: 'delete', name: 'B' }] }] } },
      (p) => {
        ((p.spec as JsonObject).containers as JsonObject[])[0].env = [{ name: 'A', value: '1' }];
      },
    ],
    [
      'reorders containers with $setElementOrder',
      { spec: { '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'web' }] } },
      (p) => {
        const spec = p.spec as JsonObject;
        spec.containers = [...(spec.containers as JsonObject[])].reverse();
      },
    ],
    [
      'merges ports by containerPort',
      { spec: { containers: [{ name: 'web', ports: [{ containerPort: 80, name: 'http' }, { containerPort: 443 }] }] } },
      (p) => {
        ((p.spec as JsonObject).containers as JsonObject[])[0].ports = [{ containerPort: 80, protocol: 'TCP', name: 'http' }, { containerPort: 443 }];
      },
    ],
    [
      'replaces a list without merge strategy',
      { spec: { tolerations: [{ key: 'b', operator: 'Equal', value: 'x' }] } },
      (p) => {
        (p.spec as JsonObject).tolerations = [{ key: 'b', operator: 'Equal', value: 'x' }];
      },
    ],
    [
      'deletes a label with null',
      { metadata: { labels: { tier: null } } },
      (p) => {
        (p.metadata as JsonObject).labels = { app: 'web' };
      },
    ],
    [
      'removes a finalizer with $deleteFromPrimitiveList',
      { metadata: { '$deleteFromPrimitiveList/finalizers': ['example.com/a'] } },
      (p) => {
        (p.metadata as JsonObject).finalizers = ['example.com/b'];
      },
    ],
    [
      // Without $setElementOrder, apimachinery puts items the live list lacks first.
      'unions finalizers',
      { metadata: { finalizers: ['example.com/c'] } },
      (p) => {
        (p.metadata as JsonObject).finalizers = ['example.com/c', 'example.com/a', 'example.com/b'];
      },
    ],
    [
      'merges ownerReferences by uid',
      { metadata: { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'u1', blockOwnerDeletion: true }] } },
      (p) => {
        (p.metadata as JsonObject).ownerReferences = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'u1', controller: true, blockOwnerDeletion: true }];
      },
    ],
    [
      'switches a volume source with $retainKeys (what kubectl sends)',
      { spec: { '$setElementOrder/volumes': [{ name: 'data' }], volumes: [{ $retainKeys: ['configMap', 'name'], configMap: { name: 'cfg' }, emptyDir: null, name: 'data' }] } },
      (p) => {
        (p.spec as JsonObject).volumes = [{ name: 'data', configMap: { name: 'cfg' } }];
      },
    ],
    [
      'merges status conditions by type',
      { status: { conditions: [{ type: 'Ready', status: 'True' }] } },
      (p) => {
        (p.status as JsonObject).conditions = [{ type: 'Ready', status: 'True' }, { type: 'Initialized', status: 'True' }];
      },
    ],
    [
      'accepts an explicit $patch: merge',
      { metadata: { labels: { $patch: 'merge', env: 'prod' } } },
      (p) => {
        (p.metadata as JsonObject).labels = { app: 'web', tier: 'frontend', env: 'prod' };
      },
    ],
    [
      'replaces a map with $patch: replace',
      { metadata: { labels: { $patch: 'replace', env: 'prod' } } },
      (p) => {
        (p.metadata as JsonObject).labels = { env: 'prod' };
      },
    ],
  ];
  it.each(cases)('%s', (_name, patch, edit) => {
    const want = pod();
    edit(want);
    expect(applyStrategicMergePatch(pod(), patch, podSchema)).toStrictEqual(want);
  });
});

function deployment(): JsonObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      labels: { app: 'web', tier: 'frontend' },
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"old":true}\n' },
    },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            { name: 'web', image: 'nginx:1.25', ports: [{ containerPort: 80, protocol: 'TCP' }] },
            { name: 'sidecar', image: 'busybox' },
          ],
        },
      },
    },
  };
}

describe('applyStrategicMergePatch with the patches kubectl apply sends', () => {
  // CreateThreeWayMergePatch(last-applied, new config, live) as kubectl's apply/patcher.go builds it.
  const lastApplied = '{"new":true}\n';
  const cases: Array<[string, JsonObject, (d: JsonObject) => void]> = [
    [
      'a container image changed',
      {
        metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied } },
        spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'web' }, { name: 'sidecar' }], containers: [{ image: 'nginx:1.26', name: 'web' }] } } },
      },
      (d) => {
        const containers = (((d.spec as JsonObject).template as JsonObject).spec as JsonObject).containers as JsonObject[];
        containers[0].image = 'nginx:1.26';
      },
    ],
    [
      'a label removed',
      { metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied }, labels: { tier: null } } },
      (d) => {
        (d.metadata as JsonObject).labels = { app: 'web' };
      },
    ],
    [
      'a container removed',
      {
        metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied } },
        spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'web' }], containers: [{ $patch: 'delete', name: 'sidecar' }] } } },
      },
      (d) => {
        const podSpec = ((d.spec as JsonObject).template as JsonObject).spec as JsonObject;
        podSpec.containers = [(podSpec.containers as JsonObject[])[0]];
      },
    ],
    [
      'the strategy switched to Recreate',
      { metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied } }, spec: { strategy: { $retainKeys: ['type'], rollingUpdate: null, type: 'Recreate' } } },
      (d) => {
        (d.spec as JsonObject).strategy = { type: 'Recreate' };
      },
    ],
  ];
  it.each(cases)('%s', (_name, patch, edit) => {
    const want = deployment();
    (want.metadata as JsonObject).annotations = { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied };
    edit(want);
    expect(applyStrategicMergePatch(deployment(), patch, deploymentSchema)).toStrictEqual(want);
  });

  it('kubectl rollout restart and pause', () => {
    const out = applyStrategicMergePatch(
      deployment(),
      { spec: { paused: true, template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-11-22T03:47:00Z' } } } } },
      deploymentSchema,
    );
    const spec = out.spec as JsonObject;
    expect(spec.paused).toBe(true);
    expect((spec.template as JsonObject).metadata).toEqual({ labels: { app: 'web' }, annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-11-22T03:47:00Z' } });
    expect(applyStrategicMergePatch(out, { spec: { paused: null } }, deploymentSchema).spec).not.toHaveProperty('paused');
  });
});

describe('applyStrategicMergePatch where no schema applies', () => {
  it('uses JSON merge semantics under x-kubernetes-preserve-unknown-fields', () => {
    const original = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { items: [{ name: 'a', x: 1 }], size: { w: 1, h: 2 } } };
    const out = applyStrategicMergePatch(original, { spec: { items: [{ name: 'b' }], size: { h: null, d: 3 }, '$setElementOrder/items': [{ name: 'b' }] } }, widgetSchema);
    expect(out.spec).toEqual({ items: [{ name: 'b' }], size: { w: 1, d: 3 }, '$setElementOrder/items': [{ name: 'b' }] });
  });

  it('replaces lists and merges maps of fields the schema does not know', () => {
    const out = applyStrategicMergePatch({ spec: { extra: { list: [1, 2], m: { a: 1 } } } }, { spec: { extra: { list: [3], m: { b: 2 } } } }, deploymentSchema);
    expect(out.spec).toEqual({ extra: { list: [3], m: { a: 1, b: 2 } } });
  });
});
