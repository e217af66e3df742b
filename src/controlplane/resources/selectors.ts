/**
 * Label selectors as the apiserver evaluates and prints them: does a `LabelSelector` (or an RC's
 * map selector) match a label set, and its canonical string (`app=web,tier in (a,b)`), which the
 * printers show in the SELECTOR column.
 */
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';

export function selectorMatches(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(l, e.key);
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In':
        if (!has || !values.includes(l[e.key])) return false;
        break;
      case 'NotIn':
        if (has && values.includes(l[e.key])) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** Whether the selector selects nothing-in-particular (no labels, no expressions). */
export function selectorIsEmpty(selector: LabelSelector): boolean {
  return Object.keys(selector.matchLabels ?? {}).length + (selector.matchExpressions ?? []).length === 0;
}

/** labels.Selector.String(): requirements sorted by key; `<none>` when there is no selector. */
export function selectorString(selector: LabelSelector | undefined | null): string {
  if (!selector) return '<none>';
  const reqs: Array<{ key: string; text: string }> = [];
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) reqs.push({ key: k, text: `${k}=${v}` });
  for (const e of selector.matchExpressions ?? []) {
    const values = [...(e.values ?? [])].sort().join(',');
    const text =
      e.operator === 'In' ? `${e.key} in (${values})` :
      e.operator === 'NotIn' ? `${e.key} notin (${values})` :
      e.operator === 'Exists' ? e.key :
      e.operator === 'DoesNotExist' ? `!${e.key}` : `${e.key} ${e.operator}`;
    reqs.push({ key: e.key, text });
  }
  return reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((r) => r.text).join(',');
}

/** labels.FormatLabels: `k=v,...` sorted by key, `<none>` when empty. */
export function formatLabels(labels: Record<string, string> | undefined | null): string {
  const keys = Object.keys(labels ?? {}).sort();
  if (keys.length === 0) return '<none>';
  return keys.map((k) => `${k}=${labels![k]}`).join(',');
}
