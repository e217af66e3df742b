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
    /** whether the containers currently report ready (false before Running) */
    ready?: boolean;
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
  /** containers run unready this long before they report ready */
  readyAfter: 'sim.berth.dev/ready-after',
  /** ready containers turn unready after this long (with ready-after: readiness flaps) */
  unreadyAfter: 'sim.berth.dev/unready-after',
  /** exit code of failed containers (default 1) */
  exitCode: 'sim.berth.dev/exit-code',
  /** how long the containers take to stop after SIGTERM (default at once); past the grace period they are killed */
  stopAfter: 'sim.berth.dev/stop-after',
} as const;

export interface StageTimings {
  /** Pending → Running and Ready (default 0, as kwok's fast stages) */
  runningAfterMs?: number;
  /** Running → Succeeded for Job pods (default 1 s) */
  completeAfterMs?: number;
  jitterMs?: number;
}

/**
 * kwok's pod-ready and pod-complete, as documents, and readiness by annotation: a pod with
 * ready-after runs unready first, one with unready-after turns unready (with both, it flaps).
 */
export function defaultStages(t: StageTimings = {}): Stage[] {
  const jitterMs = t.jitterMs ?? 0;
  const complete = { ms: t.completeAfterMs ?? 1000, jitterMs, annotation: ANNOTATIONS.completeAfter };
  const next = { phase: 'Succeeded' as const, phaseAnnotation: ANNOTATIONS.result };
  const running = { ms: t.runningAfterMs ?? 0, jitterMs, annotation: ANNOTATIONS.runningAfter };
  return [
    { name: 'pod-running-unready', selector: { phase: ['Pending'], annotations: [ANNOTATIONS.readyAfter] }, delay: running, next: { phase: 'Running', ready: false } },
    { name: 'pod-ready', selector: { phase: ['Pending'] }, delay: running, next: { phase: 'Running', ready: true } },
    { name: 'pod-becomes-ready', selector: { phase: ['Running'], ready: false, annotations: [ANNOTATIONS.readyAfter] }, delay: { ms: 0, annotation: ANNOTATIONS.readyAfter }, next: { phase: 'Running', ready: true } },
    { name: 'pod-becomes-unready', selector: { phase: ['Running'], ready: true, annotations: [ANNOTATIONS.unreadyAfter] }, delay: { ms: 0, annotation: ANNOTATIONS.unreadyAfter }, next: { phase: 'Running', ready: false } },
    { name: 'pod-complete', selector: { phase: ['Running'], ownerKinds: ['Job'] }, delay: complete, next },
    { name: 'pod-complete-annotated', selector: { phase: ['Running'], annotations: [ANNOTATIONS.completeAfter] }, delay: complete, next },
  ];
}

const PHASES: readonly SimPhase[] = ['Pending', 'Running', 'Succeeded', 'Failed'];

/** A stage document that is not a valid Stage: names the file, the document and the field. */
export class StageError extends Error {}

/**
 * Checks one parsed document against Stage; throws a StageError naming `where` (file and document),
 * the field and what it must be. Unknown fields are refused too, so a typo does not pass silently.
 */
export function validateStage(doc: unknown, where: string): Stage {
  const fail = (field: string, want: string, got: unknown): never => {
    throw new StageError(`${where}: ${field} must be ${want} (got ${JSON.stringify(got) ?? 'nothing'})`);
  };
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const only = (o: Record<string, unknown>, field: string, keys: string[]) => {
    for (const k of Object.keys(o)) if (!keys.includes(k)) fail(`${field}${field ? '.' : ''}${k}`, `one of the known fields (${keys.join(', ')})`, o[k]);
  };
  const strings = (o: Record<string, unknown>, field: string, key: string, allowed?: readonly string[]) => {
    const v = o[key];
    if (v === undefined) return;
    const want = allowed ? `a list of ${allowed.join(' / ')}` : 'a list of strings';
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && (!allowed || allowed.includes(x)))) fail(`${field}.${key}`, want, v);
  };
  const ms = (o: Record<string, unknown>, field: string, required: boolean) => {
    const v = o[field.split('.').pop()!];
    if (v === undefined && !required) return;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(field, 'a number of milliseconds ≥ 0', v);
  };
  const optional = (o: Record<string, unknown>, field: string, type: 'string' | 'boolean') => {
    const v = o[field.split('.').pop()!];
    if (v !== undefined && typeof v !== type) fail(field, `a ${type}`, v);
  };

  if (!isObject(doc)) fail('the document', 'a Stage (name, selector, delay, next)', doc);
  const d = doc as Record<string, unknown>;
  where = typeof d.name === 'string' ? `${where} (stage "${d.name}")` : where;
  only(d, '', ['name', 'selector', 'delay', 'next']);
  if (typeof d.name !== 'string' || !d.name) fail('name', 'a non-empty string', d.name);
  const selector = d.selector ?? {};
  if (!isObject(selector)) fail('selector', 'an object', selector);
  const sel = selector as Record<string, unknown>;
  only(sel, 'selector', ['phase', 'restartPolicy', 'ownerKinds', 'annotations', 'ready']);
  optional(sel, 'selector.ready', 'boolean');
  strings(sel, 'selector', 'phase', PHASES);
  strings(sel, 'selector', 'restartPolicy', ['Always', 'OnFailure', 'Never']);
  strings(sel, 'selector', 'ownerKinds');
  strings(sel, 'selector', 'annotations');
  if (!isObject(d.delay)) fail('delay', 'an object with ms', d.delay);
  const delay = d.delay as Record<string, unknown>;
  only(delay, 'delay', ['ms', 'jitterMs', 'annotation']);
  ms(delay, 'delay.ms', true);
  ms(delay, 'delay.jitterMs', false);
  optional(delay, 'delay.annotation', 'string');
  if (!isObject(d.next)) fail('next', 'an object with phase', d.next);
  const next = d.next as Record<string, unknown>;
  only(next, 'next', ['phase', 'ready', 'phaseAnnotation']);
  if (!PHASES.includes(next.phase as SimPhase)) fail('next.phase', PHASES.join(' / '), next.phase);
  optional(next, 'next.ready', 'boolean');
  optional(next, 'next.phaseAnnotation', 'string');
  return { ...(d as unknown as Stage), selector: sel as Stage['selector'] };
}

/** Stage documents from a YAML file (one Stage per document), validated: a StageError names what is wrong. */
export function loadStages(path: string): Stage[] {
  const docs = parseAllDocuments(readFileSync(path, 'utf8'));
  const stages: Stage[] = [];
  docs.forEach((d, i) => {
    const where = `${path}: document ${i + 1}`;
    if (d.errors.length > 0) throw new StageError(`${where}: not valid YAML: ${d.errors[0].message}`);
    const js: unknown = d.toJS();
    if (js !== null && js !== undefined) stages.push(validateStage(js, where));
  });
  if (stages.length === 0) throw new StageError(`${path}: holds no stage documents`);
  return stages;
}

/** The exit code of a pod's failed simulated containers: the exit-code annotation (1–255), else 1. */
export function failureExitCode(pod: Pod): number {
  const v = Number(pod.metadata?.annotations?.[ANNOTATIONS.exitCode]);
  return Number.isInteger(v) && v >= 1 && v <= 255 ? v : 1;
}

/** "500ms", "3s", "2m", "1h" or a number of seconds, in ms; undefined when malformed. */
export function parseDuration(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v.trim());
  if (!m) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's']!;
  return Number(m[1]) * unit;
}

/** The stage that applies to a pod in `phase` whose containers are `ready` (or not), if any. */
export function matchStage(stages: Stage[], pod: Pod, phase: SimPhase, ready = false): Stage | undefined {
  const ann = pod.metadata?.annotations ?? {};
  const owner = pod.metadata?.ownerReferences?.find((o) => o.controller)?.kind;
  return stages.find((s) => {
    const sel = s.selector;
    if (sel.phase && !sel.phase.includes(phase)) return false;
    if (sel.restartPolicy && !sel.restartPolicy.includes(pod.spec?.restartPolicy ?? 'Always')) return false;
    if (sel.ownerKinds && !(owner && sel.ownerKinds.includes(owner))) return false;
    if (sel.annotations && !sel.annotations.every((a) => a in ann)) return false;
    if (sel.ready !== undefined && sel.ready !== ready) return false;
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
