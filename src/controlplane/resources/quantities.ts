/**
 * Exact arithmetic on Kubernetes quantities and resource lists, for ResourceQuota and LimitRange:
 * sums that print the way kube-apiserver prints them (`500m` + `1` = `1500m`, `1Gi` + `512Mi` =
 * `1536Mi`), comparisons without float error, and the list operations of apimachinery's quota
 * helpers (add, subtract, mask, less-than-or-equal). Values are counted in nano-units (the finest
 * suffix, `n`), so every decimal suffix is exact.
 */
import { parseFraction } from '../scheduler/quantity.js';

/** How a quantity prints: with binary suffixes (Ki, Mi...) or decimal ones (m, k, M...). */
export type QuantityFormat = 'BinarySI' | 'DecimalSI';

export interface Amount {
  /** the value in nano-units (1e-9), rounded up */
  nano: bigint;
  format: QuantityFormat;
}

/** name → amount, as a ResourceList (`{ cpu: "500m", pods: "2" }`) parsed */
export type Amounts = Record<string, Amount>;

const NANO = 1_000_000_000n;

function ceilDiv(num: bigint, den: bigint): bigint {
  const q = num / den;
  return num % den !== 0n && num > 0n ? q + 1n : q;
}

/** Parses a quantity; throws Kubernetes' message when `s` is not one. */
export function parseAmount(s: string | number): Amount {
  const text = String(s).trim();
  const { num, den } = parseFraction(text);
  return { nano: ceilDiv(num * NANO, den), format: /[KMGTPE]i$/.test(text) ? 'BinarySI' : 'DecimalSI' };
}

export function amountOf(units: number): Amount {
  return { nano: BigInt(units) * NANO, format: 'DecimalSI' };
}

const DECIMAL_SUFFIXES: [bigint, string][] = [
  [10n ** 27n, 'E'],
  [10n ** 24n, 'P'],
  [10n ** 21n, 'T'],
  [10n ** 18n, 'G'],
  [10n ** 15n, 'M'],
  [10n ** 12n, 'k'],
  [10n ** 9n, ''],
  [10n ** 6n, 'm'],
  [10n ** 3n, 'u'],
  [1n, 'n'],
];
const BINARY_SUFFIXES: [bigint, string][] = [
  [1n << 60n, 'Ei'],
  [1n << 50n, 'Pi'],
  [1n << 40n, 'Ti'],
  [1n << 30n, 'Gi'],
  [1n << 20n, 'Mi'],
  [1n << 10n, 'Ki'],
];

/**
 * The canonical form kube-apiserver prints: the largest suffix that keeps the number whole; binary
 * amounts under 1024 or with a fraction print as decimal (as `Quantity.String()` does).
 */
export function formatAmount(a: Amount): string {
  const sign = a.nano < 0n ? '-' : '';
  const abs = a.nano < 0n ? -a.nano : a.nano;
  if (abs === 0n) return '0';
  if (a.format === 'BinarySI' && abs % NANO === 0n && abs / NANO >= 1024n) {
    const units = abs / NANO;
    for (const [factor, suffix] of BINARY_SUFFIXES) if (units % factor === 0n) return `${sign}${units / factor}${suffix}`;
    return `${sign}${units}`;
  }
  for (const [factor, suffix] of DECIMAL_SUFFIXES) if (abs % factor === 0n) return `${sign}${abs / factor}${suffix}`;
  return `${sign}${abs}n`;
}

/** The sum; it prints in the format of `a` unless `a` is zero (apimachinery's Quantity.Add). */
export function addAmount(a: Amount, b: Amount): Amount {
  return { nano: a.nano + b.nano, format: a.nano === 0n ? b.format : a.format };
}

export function subtractAmount(a: Amount, b: Amount): Amount {
  return { nano: a.nano - b.nano, format: a.nano === 0n ? b.format : a.format };
}

/** Parses a ResourceList; an entry that is no quantity throws naming it. */
export function parseAmounts(list: Record<string, unknown> | undefined): Amounts {
  const out: Amounts = {};
  for (const [name, v] of Object.entries(list ?? {})) {
    try {
      out[name] = parseAmount(v as string | number);
    } catch (e) {
      throw new Error(`${name}: ${(e as Error).message}`);
    }
  }
  return out;
}

export function formatAmounts(a: Amounts): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(a).sort()) out[name] = formatAmount(a[name]);
  return out;
}

/** a + b, name by name (quota.Add). */
export function addAmounts(a: Amounts, b: Amounts): Amounts {
  const out: Amounts = { ...a };
  for (const [name, v] of Object.entries(b)) out[name] = name in out ? addAmount(out[name], v) : v;
  return out;
}

/** a − b, name by name, never below zero (quota.SubtractWithNonNegativeResult). */
export function subtractNonNegative(a: Amounts, b: Amounts): Amounts {
  const out: Amounts = {};
  for (const [name, v] of Object.entries(a)) {
    const d = name in b ? subtractAmount(v, b[name]) : v;
    out[name] = d.nano < 0n ? { nano: 0n, format: d.format } : d;
  }
  return out;
}

/** The larger of both, name by name; a name in only one keeps its amount. */
export function maxAmounts(a: Amounts, b: Amounts): Amounts {
  const out: Amounts = { ...a };
  for (const [n, v] of Object.entries(b)) if (!(n in out) || v.nano > out[n].nano) out[n] = v;
  return out;
}

/** Only the entries of `a` named in `names` (quota.Mask). */
export function maskAmounts(a: Amounts, names: Iterable<string>): Amounts {
  const out: Amounts = {};
  for (const n of names) if (n in a) out[n] = a[n];
  return out;
}

export function removeZeros(a: Amounts): Amounts {
  const out: Amounts = {};
  for (const [n, v] of Object.entries(a)) if (v.nano !== 0n) out[n] = v;
  return out;
}

/** The names in `a` whose amount is above the one in `limit` (entries absent from `limit` are unlimited). */
export function exceededNames(a: Amounts, limit: Amounts): string[] {
  return Object.keys(a)
    .filter((n) => n in limit && a[n].nano > limit[n].nano)
    .sort();
}

/** `cpu=500m,pods=1`: sorted by name, as kube-apiserver prints resource lists in quota errors. */
export function prettyPrint(a: Amounts): string {
  return Object.keys(a)
    .sort()
    .map((n) => `${n}=${formatAmount(a[n])}`)
    .join(',');
}

export function compareAmount(a: Amount, b: Amount): number {
  return a.nano < b.nano ? -1 : a.nano > b.nano ? 1 : 0;
}
