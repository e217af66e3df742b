/**
 * Hand-built schemas for the patch and apply tests: the parts of Pod and Deployment whose list and
 * map semantics matter (containers, env, ports, volumes, conditions, finalizers, ownerReferences,
 * tolerations...), with the extensions Kubernetes publishes for them. Kept small and independent of
 * the generated schemas so the tests pin the engines, not the generator.
 */
import type { SchemaNode } from '../../../resources/types.js';

const str: SchemaNode = { type: 'string' };
const int: SchemaNode = { type: 'integer' };
const bool: SchemaNode = { type: 'boolean' };
const quantity: SchemaNode = { format: 'quantity' };
const intOrString: SchemaNode = { intOrString: true };
const stringMap: SchemaNode = { type: 'object', additionalProperties: str };
const stringList: SchemaNode = { type: 'array', items: str };

function mapList(items: SchemaNode, keys: string[], patchStrategy = 'merge'): SchemaNode {
  return { type: 'array', items, patchStrategy, patchMergeKey: keys[0], listType: 'map', listMapKeys: keys };
}

const ownerReference: SchemaNode = {
  type: 'object',
  properties: { apiVersion: str, kind: str, name: str, uid: str, controller: bool, blockOwnerDeletion: bool },
  mapType: 'atomic',
};

export const objectMeta: SchemaNode = {
  type: 'object',
  properties: {
    name: str,
    generateName: str,
    namespace: str,
    uid: str,
    resourceVersion: str,
    generation: int,
    creationTimestamp: str,
    deletionTimestamp: str,
    labels: stringMap,
    annotations: stringMap,
    finalizers: { type: 'array', items: str, patchStrategy: 'merge', listType: 'set' },
    ownerReferences: mapList(ownerReference, ['uid']),
    managedFields: { type: 'array', items: { type: 'object', preserveUnknownFields: true }, listType: 'atomic' },
  },
};

const keySelector: SchemaNode = { type: 'object', properties: { name: str, key: str }, mapType: 'atomic' };

const envVar: SchemaNode = {
  type: 'object',
  properties: {
    name: str,
    value: str,
    valueFrom: { type: 'object', properties: { configMapKeyRef: keySelector, secretKeyRef: keySelector } },
  },
};

const containerPort: SchemaNode = {
  type: 'object',
  properties: { name: str, containerPort: int, protocol: str, hostPort: int },
};

const container: SchemaNode = {
  type: 'object',
  properties: {
    name: str,
    image: str,
    imagePullPolicy: str,
    command: { ...stringList, listType: 'atomic' },
    args: { ...stringList, listType: 'atomic' },
    env: mapList(envVar, ['name']),
    ports: mapList(containerPort, ['containerPort', 'protocol']),
    volumeMounts: mapList({ type: 'object', properties: { name: str, mountPath: str, readOnly: bool } }, ['mountPath']),
    resources: {
      type: 'object',
      properties: {
        limits: { type: 'object', additionalProperties: quantity },
        requests: { type: 'object', additionalProperties: quantity },
      },
    },
  },
};

const volume: SchemaNode = {
  type: 'object',
  properties: {
    name: str,
    emptyDir: { type: 'object', properties: { medium: str, sizeLimit: quantity } },
    configMap: { type: 'object', properties: { name: str, defaultMode: int } },
    secret: { type: 'object', properties: { secretName: str, defaultMode: int } },
  },
};

const toleration: SchemaNode = {
  type: 'object',
  properties: { key: str, operator: str, value: str, effect: str, tolerationSeconds: int },
};

const podSpec: SchemaNode = {
  type: 'object',
  properties: {
    containers: mapList(container, ['name']),
    initContainers: mapList(container, ['name']),
    volumes: mapList(volume, ['name'], 'merge,retainKeys'),
    tolerations: { type: 'array', items: toleration, listType: 'atomic' },
    nodeSelector: { ...stringMap, mapType: 'atomic' },
    nodeName: str,
    restartPolicy: str,
    terminationGracePeriodSeconds: int,
    securityContext: { type: 'object', properties: { runAsUser: int, runAsNonRoot: bool } },
  },
};

function conditions(): SchemaNode {
  return mapList(
    { type: 'object', properties: { type: str, status: str, reason: str, message: str, lastTransitionTime: str } },
    ['type'],
  );
}

export const podSchema: SchemaNode = {
  type: 'object',
  properties: {
    apiVersion: str,
    kind: str,
    metadata: objectMeta,
    spec: podSpec,
    status: { type: 'object', properties: { phase: str, podIP: str, conditions: conditions() } },
  },
};

export const deploymentSchema: SchemaNode = {
  type: 'object',
  properties: {
    apiVersion: str,
    kind: str,
    metadata: objectMeta,
    spec: {
      type: 'object',
      properties: {
        replicas: int,
        paused: bool,
        minReadySeconds: int,
        revisionHistoryLimit: int,
        progressDeadlineSeconds: int,
        selector: {
          type: 'object',
          properties: { matchLabels: stringMap, matchExpressions: { type: 'array', items: { type: 'object', properties: { key: str, operator: str, values: stringList } }, listType: 'atomic' } },
          mapType: 'atomic',
        },
        template: { type: 'object', properties: { metadata: objectMeta, spec: podSpec } },
        strategy: {
          type: 'object',
          patchStrategy: 'retainKeys',
          properties: {
            type: str,
            rollingUpdate: { type: 'object', properties: { maxSurge: intOrString, maxUnavailable: intOrString } },
          },
        },
      },
    },
    status: {
      type: 'object',
      properties: { replicas: int, readyReplicas: int, observedGeneration: int, conditions: conditions() },
    },
  },
};

/** A custom resource whose spec accepts anything (`x-kubernetes-preserve-unknown-fields`). */
export const widgetSchema: SchemaNode = {
  type: 'object',
  properties: {
    apiVersion: str,
    kind: str,
    metadata: objectMeta,
    spec: { type: 'object', preserveUnknownFields: true },
  },
};

export const configMapSchema: SchemaNode = {
  type: 'object',
  properties: {
    apiVersion: str,
    kind: str,
    metadata: objectMeta,
    data: stringMap,
    immutable: bool,
  },
};
