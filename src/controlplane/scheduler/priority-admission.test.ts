import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import { describe, expect, it } from 'vitest';
import type { AdmissionAttributes } from '../api/admission.js';
import { registry } from '../resources/registry.js';
import type { KubeObject } from '../resources/types.js';
import { priorityAdmission, type PriorityClassSource } from './priority-admission.js';

function source(classes: PriorityClass[]): PriorityClassSource {
  return { get: async (n) => classes.find((c) => c.metadata?.name === n), list: async () => classes };
}

const pc = (name: string, value: number, extra: Partial<PriorityClass> = {}): PriorityClass => ({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value, ...extra });

function podAttrs(spec: Record<string, unknown>): AdmissionAttributes {
  return {
    operation: 'CREATE',
    type: registry.find('', 'v1', 'pods')!,
    namespace: 'default',
    name: 'p',
    // as pod defaulting leaves it
    object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [], ...spec } } as KubeObject,
    user: { username: 'u', groups: [] },
    dryRun: false,
    warnings: [],
  };
}

describe('Priority admission', () => {
  const classes = [pc('high', 1000), pc('batch', 10, { preemptionPolicy: 'Never' })];
  it.each<[string, PriorityClass[], Record<string, unknown>, Record<string, unknown>]>([
    ['no class, no default: 0', classes, { priority: 0, preemptionPolicy: 'PreemptLowerPriority' }, { priority: 0, preemptionPolicy: 'PreemptLowerPriority' }],
    ['a named class', classes, { priorityClassName: 'high' }, { priorityClassName: 'high', priority: 1000, preemptionPolicy: 'PreemptLowerPriority' }],
    ['the class’s preemptionPolicy', classes, { priorityClassName: 'batch' }, { priority: 10, preemptionPolicy: 'Never' }],
    ['the globalDefault when none is named', [...classes, pc('default', 7, { globalDefault: true })], { priority: 0, preemptionPolicy: 'PreemptLowerPriority' }, { priorityClassName: 'default', priority: 7 }],
    ['the lower of two globalDefaults', [pc('d1', 9, { globalDefault: true }), pc('d2', 3, { globalDefault: true })], {}, { priorityClassName: 'd2', priority: 3 }],
    ['built-in system-node-critical', classes, { priorityClassName: 'system-node-critical' }, { priority: 2000001000 }],
    ['built-in system-cluster-critical', classes, { priorityClassName: 'system-cluster-critical' }, { priority: 2000000000 }],
    ['a matching explicit priority is fine', classes, { priorityClassName: 'high', priority: 1000 }, { priority: 1000 }],
  ])('%s', async (_name, cls, spec, want) => {
    const attrs = podAttrs(spec);
    await priorityAdmission(source(cls)).mutate!(attrs);
    expect(attrs.object!.spec).toMatchObject(want);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['an unknown class', { priorityClassName: 'nope' }, /no PriorityClass with name nope was found/],
    ['a priority that contradicts the class', { priorityClassName: 'high', priority: 5 }, /the integer value of priority \(5\) must not be provided in pod spec; priority admission controller computed 1000/],
    ['a preemptionPolicy that contradicts the class', { priorityClassName: 'batch', preemptionPolicy: 'PreemptLowerPriority' }, /PreemptionPolicy \(PreemptLowerPriority\)/],
  ])('denies %s', async (_name, spec, err) => {
    await expect(Promise.resolve(priorityAdmission(source(classes)).mutate!(podAttrs(spec)))).rejects.toThrow(err);
  });

  it('allows one globalDefault PriorityClass only', async () => {
    const plugin = priorityAdmission(source([pc('d1', 1, { globalDefault: true })]));
    const attrs = (obj: PriorityClass): AdmissionAttributes => ({ ...podAttrs({}), type: registry.find('scheduling.k8s.io', 'v1', 'priorityclasses')!, name: obj.metadata!.name!, object: obj as unknown as KubeObject });
    await expect(Promise.resolve(plugin.validate!(attrs(pc('d2', 2, { globalDefault: true }))))).rejects.toThrow('PriorityClass d1 is already marked as default. Only one default can exist');
    await plugin.validate!(attrs(pc('d1', 5, { globalDefault: true })));
    await plugin.validate!(attrs(pc('plain', 5)));
  });
});
