/**
 * Label selectors as the printers and validators need them, over the one selector implementation in
 * src/controlplane/store/selectors.ts: does a `LabelSelector` match a label set, its canonical string
 * (`app=web,tier in (a,b)`) for the SELECTOR column, and `k=v` label lists.
 */
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { formatLabelSelector, labelSelectorFromObject } from '../store/selectors.js';

/** Whether `selector` selects `labels`; an invalid selector selects nothing. */
export function selectorMatches(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  try {
    return labelSelectorFromObject(selector).matches(labels);
  } catch {
    return false;
  }
}

/** Whether the selector selects nothing-in-particular (no labels, no expressions). */
export function selectorIsEmpty(selector: LabelSelector): boolean {
  return Object.keys(selector.matchLabels ?? {}).length + (selector.matchExpressions ?? []).length === 0;
}

/** labels.Selector.String(): requirements sorted by key; `<none>` when there is no selector. */
export function selectorString(selector: LabelSelector | undefined | null): string {
  if (!selector) return '<none>';
  try {
    return formatLabelSelector(selector);
  } catch {
    return '<invalid>';
  }
}

/** labels.FormatLabels: `k=v,...` sorted by key, `<none>` when empty. */
export function formatLabels(labels: Record<string, string> | undefined | null): string {
  const keys = Object.keys(labels ?? {}).sort();
  if (keys.length === 0) return '<none>';
  return keys.map((k) => `${k}=${labels![k]}`).join(',');
}
