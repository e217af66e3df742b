/**
 * Stage documents of the sim runtime, after kwok's Stage resources: which pods a stage applies to,
 * how long it waits, and the status it leads to. Lifecycles are data — the defaults below, or YAML
 * a user passes (`--sim-stages FILE`) — and per-pod annotations override delays and the outcome.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { Pod } from 'kubernetes-types/core/v1.js';

export type SimPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

export interface Stage {
  name: string;
  /** every given field must match; first matching stage wins */
  selector: {
    /** current simulated phase */
    phase?: SimPhase[];
    restartPolicy?: string[];
    /** kinds of the pod's controller owner (e.g. Job) */
    ownerKinds?: string[];
    /** annotations the pod must carry (any value) */
    annotations?: string[];
  };
  /** how long after entering the current phase the stage fires */
  delay: {
    ms: number;
    /** uniformly random extra, so thousands of pods don't move in lockstep */
    jitterMs?: number;
    /** annotation whose value ("500ms", "3s", "2m", or seconds) replaces `ms` for that pod */
    annotation?: string;
  };
  next: {
    phase: SimPhase;
    /** containers report ready (Running only) */
    ready?: boolean;
    /** annotation whose value ("Succeeded" / "Failed") replaces `phase` for that pod */
    phaseAnnotation?: string;
  };
}

export const ANNOTATIONS = {
  runningAfter: 'sim.berth.dev/running-after',
  completeAfter: 'sim.berth.dev/complete-after',
  result: 'sim.berth.dev/result',
} as const;

export interface StageTimings {
  /** Pending → Running and Ready (default 0, as kwok's fast stages) */
  runningAfterMs?: number;
  /** Running → Succeeded for Job pods (default 1 s) */
  completeAfterMs?: number;
  jitterMs?: number;
}

/** kwok's pod-ready and pod-complete, as documents. */
export function defaultStages(t: StageTimings = {}): Stage[] {
  const jitterMs = t.jitterMs ?? 0;
  const complete = { ms: t.completeAfterMs ?? 1000, jitterMs, annotation: ANNOTATIONS.completeAfter };
  const next = { phase: 'Succeeded' as const, phaseAnnotation: ANNOTATIONS.result };
  return [
    { name: 'pod-ready', selector: { phase: ['Pending'] }, delay: { ms: t.runningAfterMs ?? 0, jitterMs, annotation: ANNOTATIONS.runningAfter }, next: { phase: 'Running', ready: true } },
    { name: 'pod-complete', selector: { phase: ['Running'], ownerKinds: ['Job'] }, delay: complete, next },
    { name: 'pod-complete-annotated', selector: { phase: ['Running'], annotations: [ANNOTATIONS.completeAfter] }, delay: complete, next },
  ];
}

/** Stage documents from a YAML file (one Stage per document). */
export function loadStages(path: string): Stage[] {
  return parseAllDocuments(readFileSync(path, 'utf8')).map((d) => d.toJS() as Stage).filter(Boolean);
}

/** "500ms", "3s", "2m", "1h" or a number of seconds, in ms; undefined when malformed. */
export function parseDuration(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v.trim());
  if (!m) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's']!;
  return Number(m[1]) * unit;
}

/** The stage that applies to a pod in `phase`, if any. */
export function matchStage(stages: Stage[], pod: Pod, phase: SimPhase): Stage | undefined {
  const ann = pod.metadata?.annotations ?? {};
  const owner = pod.metadata?.ownerReferences?.find((o) => o.controller)?.kind;
  return stages.find((s) => {
    const sel = s.selector;
    if (sel.phase && !sel.phase.includes(phase)) return false;
    if (sel.restartPolicy && !sel.restartPolicy.includes(pod.spec?.restartPolicy ?? 'Always')) return false;
    if (sel.ownerKinds && !(owner && sel.ownerKinds.includes(owner))) return false;
    if (sel.annotations && !sel.annotations.every((a) => a in ann)) return false;
    return true;
  });
}

/** When (ms from now) a stage fires for a pod, and what phase it leads to. */
export function stageOutcome(stage: Stage, pod: Pod, random = Math.random): { delayMs: number; phase: SimPhase; ready: boolean } {
  const ann = pod.metadata?.annotations ?? {};
  const override = stage.delay.annotation ? ann[stage.delay.annotation] : undefined;
  const base = (override !== undefined ? parseDuration(override) : undefined) ?? stage.delay.ms;
  const delayMs = base + (stage.delay.jitterMs ? Math.floor(random() * stage.delay.jitterMs) : 0);
  const wanted = stage.next.phaseAnnotation ? ann[stage.next.phaseAnnotation] : undefined;
  const phase = wanted === 'Succeeded' || wanted === 'Failed' ? wanted : stage.next.phase;
  return { delayMs, phase, ready: stage.next.ready ?? false };
}
