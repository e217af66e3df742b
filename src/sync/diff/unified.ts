/**
 * A unified diff of two objects as YAML (keys sorted, so only values and presence differ), for
 * people: `--- live` / `+++ desired`, hunks with three lines of context.
 */
import { stringify } from 'yaml';

const CONTEXT = 3;

/** The unified diff between two values rendered as YAML; '' when they render the same. */
export function unifiedYamlDiff(live: unknown, desired: unknown, labels: { live: string; desired: string } = { live: 'live', desired: 'desired' }): string {
  const a = live === undefined ? [] : stringify(live, { sortMapEntries: true }).trimEnd().split('\n');
  const b = desired === undefined ? [] : stringify(desired, { sortMapEntries: true }).trimEnd().split('\n');
  const ops = lineOps(a, b);
  if (ops.every((o) => o.op === ' ')) return '';
  const out = [`--- ${labels.live}`, `+++ ${labels.desired}`];
  let i = 0;
  while (i < ops.length) {
    if (ops[i].op === ' ') {
      i++;
      continue;
    }
    const start = Math.max(0, i - CONTEXT);
    let end = i;
    // extend the hunk while changes are closer than 2×CONTEXT lines apart
    for (let j = i; j < ops.length; j++) {
      if (ops[j].op !== ' ') end = j;
      else if (j - end > 2 * CONTEXT) break;
    }
    const stop = Math.min(ops.length, end + CONTEXT + 1);
    const hunk = ops.slice(start, stop);
    const aStart = ops[start].a;
    const bStart = ops[start].b;
    const aLen = hunk.filter((o) => o.op !== '+').length;
    const bLen = hunk.filter((o) => o.op !== '-').length;
    out.push(`@@ -${aLen === 0 ? aStart : aStart + 1},${aLen} +${bLen === 0 ? bStart : bStart + 1},${bLen} @@`);
    for (const o of hunk) out.push(`${o.op}${o.text}`);
    i = stop;
  }
  return `${out.join('\n')}\n`;
}

interface LineOp {
  op: ' ' | '-' | '+';
  text: string;
  /** lines of a and b before this one */
  a: number;
  b: number;
}

/** Longest-common-subsequence line diff (objects are small; quadratic is fine). */
function lineOps(a: string[], b: string[]): LineOp[] {
  const n = a.length;
  const m = b.length;
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const ops: LineOp[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) ops.push({ op: ' ', text: a[i], a: i++, b: j++ });
    else if (i < n && (j >= m || lcs[i + 1][j] >= lcs[i][j + 1])) ops.push({ op: '-', text: a[i], a: i++, b: j });
    else ops.push({ op: '+', text: b[j], a: i, b: j++ });
  }
  return ops;
}
