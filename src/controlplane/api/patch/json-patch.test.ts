import { describe, expect, it } from 'vitest';
import { statusErrorOf } from '../testing.js';
import { applyJsonPatch } from './json-patch.js';

const deployment = () => ({
  metadata: { name: 'web', annotations: { 'deployment.kubernetes.io/revision': '2' } },
  spec: {
    replicas: 2,
    template: { spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] } },
  },
});

describe('applyJsonPatch', () => {
  const ok: Array<[string, unknown[], (d: ReturnType<typeof deployment>) => unknown, unknown]> = [
    ['replace', [{ op: 'replace', path: '/spec/replicas', value: 5 }], (d) => d.spec.replicas, 5],
    ['add to a map', [{ op: 'add', path: '/metadata/labels', value: { app: 'web' } }], (d) => (d.metadata as Record<string, unknown>).labels, { app: 'web' }],
    [
      'add at the end of a list',
      [{ op: 'add', path: '/spec/template/spec/containers/-', value: { name: 'side', image: 'busybox' } }],
      (d) => d.spec.template.spec.containers.map((c) => c.name),
      ['web', 'side'],
    ],
    ['remove', [{ op: 'remove', path: '/metadata/annotations/deployment.kubernetes.io~1revision' }], (d) => d.metadata.annotations, {}],
    [
      'test then replace',
      [
        { op: 'test', path: '/spec/replicas', value: 2 },
        { op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'nginx:1.26' },
      ],
      (d) => d.spec.template.spec.containers[0].image,
      'nginx:1.26',
    ],
    ['copy', [{ op: 'copy', from: '/metadata/name', path: '/metadata/generateName' }], (d) => (d.metadata as Record<string, unknown>).generateName, 'web'],
    ['move', [{ op: 'move', from: '/spec/replicas', path: '/spec/paused' }], (d) => d.spec, { paused: 2, template: deployment().spec.template }],
    // kubectl rollout undo: replace the template and the annotations wholesale
    [
      'rollout undo',
      [
        { op: 'replace', path: '/spec/template', value: { spec: { containers: [{ name: 'web', image: 'nginx:1.24' }] } } },
        { op: 'replace', path: '/metadata/annotations', value: { 'deployment.kubernetes.io/revision': '1' } },
      ],
      (d) => [d.spec.template.spec.containers[0].image, d.metadata.annotations['deployment.kubernetes.io/revision']],
      ['nginx:1.24', '1'],
    ],
  ];
  it.each(ok)('%s', (_name, patch, pick, want) => {
    const original = deployment();
    const out = applyJsonPatch(original, patch) as ReturnType<typeof deployment>;
    expect(pick(out)).toEqual(want);
    expect(original).toEqual(deployment());
  });

  const rejected: Array<[string, unknown[], string]> = [
    ['a failed test', [{ op: 'test', path: '/spec/replicas', value: 3 }], 'testing value /spec/replicas failed: test failed'],
    ['a test of a missing key', [{ op: 'test', path: '/spec/paused', value: true }], 'testing value /spec/paused failed: test failed'],
    ['a test under a missing parent', [{ op: 'test', path: '/status/replicas', value: 1 }], 'test operation does not apply: is missing path: /status/replicas: missing value'],
    ['replace of a missing key', [{ op: 'replace', path: '/spec/paused', value: true }], 'replace operation does not apply: doc is missing key: /spec/paused: missing value'],
    ['replace under a missing parent', [{ op: 'replace', path: '/status/x', value: 1 }], 'replace operation does not apply: doc is missing path: /status/x: missing value'],
    ['remove of a missing key', [{ op: 'remove', path: '/metadata/labels' }], "error in remove for path: '/metadata/labels': Unable to remove nonexistent key: labels: missing value"],
    ['remove under a missing parent', [{ op: 'remove', path: '/status/x' }], 'remove operation does not apply: doc is missing path: "/status/x": missing value'],
    ['add under a missing parent', [{ op: 'add', path: '/status/x', value: 1 }], 'add operation does not apply: doc is missing path: "/status/x": missing value'],
    ['add past the end of a list', [{ op: 'add', path: '/spec/template/spec/containers/5', value: {} }], "error in add for path: '/spec/template/spec/containers/5': Unable to access invalid index: 5: invalid index referenced"],
    ['move from a missing path', [{ op: 'move', from: '/spec/x', path: '/spec/y' }], 'move operation does not apply: doc is missing from path: /spec/x: missing value'],
    ['an unknown op', [{ op: 'frobnicate', path: '/spec' }], 'Unexpected kind: frobnicate'],
    ['an op without a path', [{ op: 'remove' }], 'remove operation failed to decode path: missing value'],
  ];
  it.each(rejected)('rejects %s with 422', (_name, patch, cause) => {
    const err = statusErrorOf(() => applyJsonPatch(deployment(), patch));
    expect(err.code).toBe(422);
    expect(err.reason).toBe('Invalid');
    expect(err.message).toBe('the server rejected our request due to an error in our request');
    expect(err.details?.causes).toEqual([{ message: cause }]);
  });

  it('applies nothing when a later operation fails', () => {
    const original = deployment();
    statusErrorOf(() =>
      applyJsonPatch(original, [
        { op: 'replace', path: '/spec/replicas', value: 9 },
        { op: 'test', path: '/spec/replicas', value: 2 },
      ]),
    );
    expect(original.spec.replicas).toBe(2);
  });

  it.each([
    [{ op: 'add', path: '/x', value: 1 }, 'json: cannot unmarshal object into Go value of type jsonpatch.Patch'],
    ['[]', 'json: cannot unmarshal string into Go value of type jsonpatch.Patch'],
    [[1], 'json: cannot unmarshal number into Go value of type jsonpatch.Operation'],
  ])('rejects the body %j with 400', (body, message) => {
    const err = statusErrorOf(() => applyJsonPatch(deployment(), body));
    expect(err.code).toBe(400);
    expect(err.message).toBe(message);
  });
});
