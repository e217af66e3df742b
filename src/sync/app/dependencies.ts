/**
 * `spec.dependsOn` between Applications: an Application waits until each Application it depends on
 * is Synced and Healthy at its current revision (what its source resolves to, or its rollback pin).
 * Readiness is remembered once per revision (Flux's long chains re-wait on every change,
 * flux2#4739): a dependency seen ready at revision R does not block again while it stays at R, so a
 * pod restart in a database does not freeze every Application above it. Pure.
 */
import type { Application, DependencyRef } from './types.js';

/** Why an Application waits, for its `BlockedOn` condition. */
export interface Blocked {
  reason: 'DependencyNotFound' | 'DependencyNotReady' | 'DependencyCycle';
  message: string;
}

export interface DependencyVerdict {
  blocked?: Blocked;
  /** `namespace/name` → the revision each dependency was ready at (status.dependencies) */
  ready: Record<string, string>;
}

/** `namespace/name` of a dependency (namespace defaults to the dependent's). */
export function dependencyKey(app: Application, d: DependencyRef): string {
  return `${d.namespace ?? app.metadata?.namespace}/${d.name}`;
}

/** The revision an Application should be at: its rollback pin, else what its source resolved to. */
function currentRevision(a: Application): string | undefined {
  return a.status?.pinned?.revision ?? a.status?.sourceRevision;
}

/** True when `a` has synced its current revision (and current spec) and everything it applied is Healthy. */
export function readyAtCurrentRevision(a: Application): boolean {
  const st = a.status;
  const rev = currentRevision(a);
  return !!rev && st?.sync?.status === 'Synced' && st.sync.revision === rev && st.health?.status === 'Healthy' && st.observedGeneration === a.metadata?.generation;
}

/** A dependency cycle through `app`, as `a → b → a`, or undefined. */
export function findCycle(app: Application, lookup: (key: string) => Application | undefined): string | undefined {
  const start = `${app.metadata?.namespace}/${app.metadata?.name}`;
  const path: string[] = [];
  const seen = new Set<string>();
  const visit = (a: Application, key: string): string | undefined => {
    path.push(key);
    for (const d of a.spec.dependsOn ?? []) {
      const k = dependencyKey(a, d);
      if (k === start) return [...path, k].join(' → ');
      if (seen.has(k)) continue;
      seen.add(k);
      const next = lookup(k);
      const found = next && visit(next, k);
      if (found) return found;
    }
    path.pop();
    return undefined;
  };
  return visit(app, start);
}

/**
 * Whether `app` may sync now. `lookup` finds an Application by `namespace/name` (an informer cache).
 * The first dependency not ready blocks, with a message saying what it waits for.
 */
export function checkDependencies(app: Application, lookup: (key: string) => Application | undefined): DependencyVerdict {
  const deps = app.spec.dependsOn ?? [];
  const before = app.status?.dependencies ?? {};
  const ready: Record<string, string> = {};
  if (deps.length === 0) return { ready };
  const cycle = findCycle(app, lookup);
  if (cycle) return { ready, blocked: { reason: 'DependencyCycle', message: `dependency cycle ${cycle}: remove one dependsOn entry` } };
  let blocked: Blocked | undefined;
  for (const d of deps) {
    const key = dependencyKey(app, d);
    const dep = lookup(key);
    if (!dep) {
      blocked ??= { reason: 'DependencyNotFound', message: `waiting for Application ${key}: it does not exist` };
      continue;
    }
    const rev = currentRevision(dep);
    if (readyAtCurrentRevision(dep) || (rev && before[key] === rev)) {
      ready[key] = rev!;
      continue;
    }
    const st = dep.status;
    const waiting = st?.conditions?.find((c) => c.type === 'BlockedOn' && c.status === 'True');
    if (waiting) {
      blocked ??= { reason: 'DependencyNotReady', message: `waiting for Application ${key}, which is itself blocked: ${waiting.message}` };
      continue;
    }
    const at = st?.sync?.revision ? ` at ${st.sync.revision.slice(0, 7)}` : '';
    const wants = rev && st?.sync?.revision !== rev ? `; its current revision is ${rev.slice(0, 7)}` : '';
    blocked ??= { reason: 'DependencyNotReady', message: `waiting for Application ${key} to be Synced and Healthy (it is ${st?.sync?.status ?? 'Unknown'} and ${st?.health?.status ?? 'Unknown'}${at}${wants})` };
  }
  return { ready, blocked };
}
