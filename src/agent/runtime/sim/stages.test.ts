/** Sim stage matching, per-pod annotation overrides and durations: table tests. */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { ANNOTATIONS, defaultStages, matchStage, parseDuration, stageOutcome } from './stages.js';

const stages = defaultStages({ runningAfterMs: 100, completeAfterMs: 1000 });
const jobPod: Pod = { metadata: { ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'j', uid: 'u', controller: true }] }, spec: { restartPolicy: 'Never', containers: [] } };
const plain: Pod = { metadata: {}, spec: { containers: [] } };

describe('sim stages', () => {
  it.each([
    ['pending pod', plain, 'Pending', 'pod-ready', 100, 'Running'],
    ['running plain pod', plain, 'Running', undefined, 0, ''],
    ['running Job pod', jobPod, 'Running', 'pod-complete', 1000, 'Succeeded'],
    ['annotated delays', { metadata: { annotations: { [ANNOTATIONS.runningAfter]: '2s' } }, spec: { containers: [] } }, 'Pending', 'pod-ready', 2000, 'Running'],
    ['annotated failure', { ...jobPod, metadata: { ...jobPod.metadata, annotations: { [ANNOTATIONS.result]: 'Failed', [ANNOTATIONS.completeAfter]: '250ms' } } }, 'Running', 'pod-complete', 250, 'Failed'],
    ['annotation makes any pod complete', { metadata: { annotations: { [ANNOTATIONS.completeAfter]: '1m' } }, spec: { containers: [] } }, 'Running', 'pod-complete-annotated', 60_000, 'Succeeded'],
    ['finished pod', jobPod, 'Succeeded', undefined, 0, ''],
  ] as const)('%s', (_what, pod, phase, stage, delayMs, next) => {
    const s = matchStage(stages, pod as Pod, phase);
    expect(s?.name).toBe(stage);
    if (s) expect(stageOutcome(s, pod as Pod)).toMatchObject({ delayMs, phase: next });
  });

  it.each([
    ['500ms', 500],
    ['3s', 3000],
    ['2', 2000],
    ['1.5m', 90_000],
    ['soon', undefined],
  ])('parseDuration(%s) = %s', (v, want) => {
    expect(parseDuration(v)).toBe(want);
  });
});
