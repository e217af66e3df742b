/** Sim stage matching, per-pod annotation overrides, durations and stage validation: table tests. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { ANNOTATIONS, defaultStages, failureExitCode, loadStages, matchStage, parseDuration, stageOutcome, validateStage } from './stages.js';

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

  const flapping: Pod = { metadata: { annotations: { [ANNOTATIONS.readyAfter]: '300ms', [ANNOTATIONS.unreadyAfter]: '2s', [ANNOTATIONS.completeAfter]: '5s' } }, spec: { containers: [] } };
  const unready: Pod = { metadata: { annotations: { [ANNOTATIONS.unreadyAfter]: '2s', [ANNOTATIONS.completeAfter]: '5s' } }, spec: { containers: [] } };
  it.each([
    ['ready-after: runs unready first', flapping, 'Pending', false, 'pod-running-unready', 100, 'Running', false],
    ['ready-after: then ready', flapping, 'Running', false, 'pod-becomes-ready', 300, 'Running', true],
    ['unready-after: ready turns unready', flapping, 'Running', true, 'pod-becomes-unready', 2000, 'Running', false],
    ['unready-after alone: ready at once', unready, 'Pending', false, 'pod-ready', 100, 'Running', true],
    ['unready-after alone: once unready, completes', unready, 'Running', false, 'pod-complete-annotated', 5000, 'Succeeded', false],
  ] as const)('readiness stages: %s', (_what, pod, phase, ready, stage, delayMs, next, nextReady) => {
    const s = matchStage(stages, pod, phase, ready);
    expect(s?.name).toBe(stage);
    expect(stageOutcome(s!, pod)).toEqual({ delayMs, phase: next, ready: nextReady });
  });

  it.each([
    [undefined, 1],
    ['3', 3],
    ['255', 255],
    ['0', 1],
    ['256', 1],
    ['x', 1],
  ])('failureExitCode with exit-code %s: %s', (v, want) => {
    expect(failureExitCode({ metadata: { annotations: v === undefined ? {} : { [ANNOTATIONS.exitCode]: v } } })).toBe(want);
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

describe('stage validation', () => {
  const ok = { name: 's', selector: { phase: ['Running'] }, delay: { ms: 100 }, next: { phase: 'Failed' } };
  it.each<[string, unknown, string]>([
    ['delay.ms missing', { ...ok, delay: {} }, 'f: document 1 (stage "s"): delay.ms must be a number of milliseconds ≥ 0 (got nothing)'],
    ['delay.ms a string', { ...ok, delay: { ms: '1s' } }, 'delay.ms must be a number of milliseconds ≥ 0 (got "1s")'],
    ['negative jitter', { ...ok, delay: { ms: 1, jitterMs: -1 } }, 'delay.jitterMs must be a number of milliseconds ≥ 0 (got -1)'],
    ['no delay', { name: 's', next: { phase: 'Running' } }, 'delay must be an object with ms (got nothing)'],
    ['unknown phase', { ...ok, next: { phase: 'Done' } }, 'next.phase must be Pending / Running / Succeeded / Failed (got "Done")'],
    ['selector phase not a list', { ...ok, selector: { phase: 'Running' } }, 'selector.phase must be a list of Pending / Running / Succeeded / Failed (got "Running")'],
    ['a typo', { ...ok, delay: { ms: 1, jiter: 5 } }, 'delay.jiter must be one of the known fields (ms, jitterMs, annotation) (got 5)'],
    ['no name', { ...ok, name: undefined }, 'f: document 1: name must be a non-empty string (got nothing)'],
    ['ready not a boolean', { ...ok, next: { phase: 'Running', ready: 'yes' } }, 'next.ready must be a boolean (got "yes")'],
    ['selector.ready not a boolean', { ...ok, selector: { ready: 'no' } }, 'selector.ready must be a boolean (got "no")'],
  ])('%s', (_what, doc, message) => {
    expect(() => validateStage(doc, 'f: document 1')).toThrow(message);
  });

  it('accepts a valid stage, and the defaults', () => {
    expect(validateStage(ok, 'f').delay.ms).toBe(100);
    for (const s of defaultStages()) expect(validateStage(JSON.parse(JSON.stringify(s)), 'defaults')).toEqual(s);
  });

  it('loadStages names the file and the document', () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-stages-'));
    try {
      const file = join(dir, 'stages.yaml');
      writeFileSync(file, 'name: a\ndelay: {ms: 5}\nnext: {phase: Running}\n---\nname: b\ndelay: {}\nnext: {phase: Failed}\n');
      expect(() => loadStages(file)).toThrow(`${file}: document 2 (stage "b"): delay.ms must be a number of milliseconds ≥ 0 (got nothing)`);
      writeFileSync(file, 'name: a\ndelay: {ms: 5}\nnext: {phase: Running}\n');
      expect(loadStages(file).map((s) => s.name)).toEqual(['a']);
      writeFileSync(file, '# nothing\n');
      expect(() => loadStages(file)).toThrow(`${file}: holds no stage documents`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
