/**
 * What a sync may delete: objects of the previous inventory Git no longer has, whose live copy still
 * carries this Application's instance label and no prune-protection annotation — and, unless allowed,
 * no more than the deletion budget. Pure.
 */
import { INSTANCE_LABEL, PRUNE_ANNOTATION } from '../app/types.js';

export interface InventoryItem {
  group: string;
  version: string;
  kind: string;
  namespace?: string;
  name: string;
}

export function itemId(i: InventoryItem): string {
  return `${i.group}/${i.kind}/${i.namespace ?? ''}/${i.name}`;
}

export interface PrunePlan {
  /** objects to delete, in reverse apply order as given */
  delete: InventoryItem[];
  /** gone from Git but kept: another owner, protected, or already deleted */
  skipped: { item: InventoryItem; why: string }[];
  /** set when the budget stops the prune: nothing is deleted */
  blocked?: string;
}

export interface PruneInput {
  previous: InventoryItem[];
  desired: InventoryItem[];
  /** live labels and annotations of each stale item by itemId; undefined when it no longer exists */
  live: Map<string, { labels: Record<string, string>; annotations: Record<string, string> } | undefined>;
  instance: string;
  /** fraction of `previous` that may go without `allowPrune` */
  budget: number;
  allowPrune: boolean;
}

export function planPrune(input: PruneInput): PrunePlan {
  const want = new Set(input.desired.map(itemId));
  const plan: PrunePlan = { delete: [], skipped: [] };
  for (const item of input.previous) {
    if (want.has(itemId(item))) continue;
    const live = input.live.get(itemId(item));
    if (!live) plan.skipped.push({ item, why: 'already gone' });
    else if (live.labels[INSTANCE_LABEL] !== input.instance) plan.skipped.push({ item, why: `owned by ${live.labels[INSTANCE_LABEL] ?? 'nobody'} now` });
    else if (live.annotations[PRUNE_ANNOTATION] === 'false') plan.skipped.push({ item, why: `${PRUNE_ANNOTATION}: "false"` });
    else plan.delete.push(item);
  }
  const n = plan.delete.length;
  if (n > 0 && !input.allowPrune) {
    const total = input.previous.length;
    if (input.desired.length === 0) plan.blocked = `the sync would delete all ${n} objects of this application; run berth app sync --allow-prune to confirm`;
    else if (n > total * input.budget) plan.blocked = `the sync would delete ${n} of ${total} objects, over the deletion budget of ${Math.round(input.budget * 100)}%; run berth app sync --allow-prune to confirm`;
  }
  if (plan.blocked) plan.delete = [];
  return plan;
}
