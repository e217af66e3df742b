/**
 * Exact parsing of Kubernetes resource quantities (`100m`, `1.5Gi`, `2e3`, `128974848`), as
 * apimachinery's `resource.ParseQuantity` reads them, into the integer units the scheduler counts
 * in: millicores for cpu, whole units (bytes, pods, devices) for everything else — both rounded up,
 * as `Quantity.MilliValue()` and `Quantity.Value()` do, saturating at 2^53 − 1. BigInt arithmetic keeps `0.1 + 0.2` exact.
 */

const QUANTITY_RE = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?[0-9]+))?$/;

const BINARY: Record<string, bigint> = { Ki: 10n, Mi: 20n, Gi: 30n, Ti: 40n, Pi: 50n, Ei: 60n };
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

/** A parsed quantity as the exact fraction numerator / denominator. */
export interface Fraction {
  num: bigint;
  den: bigint;
}

/** Parses `s` exactly; throws Kubernetes' message when it is not a quantity. */
export function parseFraction(s: string): Fraction {
  const m = QUANTITY_RE.exec(s.trim());
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw new Error(`quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$' (got "${s}")`);
  const [, sign, whole, frac = '', suffix, exponent] = m;
  let num = BigInt((whole || '0') + frac) * (sign === '-' ? -1n : 1n);
  let exp10 = -frac.length;
  if (suffix && suffix in BINARY) num <<= BINARY[suffix];
  else if (suffix) exp10 += DECIMAL[suffix];
  else if (exponent) exp10 += Number(exponent);
  return exp10 >= 0 ? { num: num * 10n ** BigInt(exp10), den: 1n } : { num, den: 10n ** BigInt(-exp10) };
}

function ceilDiv(num: bigint, den: bigint): bigint {
  const q = num / den;
  return num % den !== 0n && num > 0n ? q + 1n : q;
}

const MAX = BigInt(Number.MAX_SAFE_INTEGER);

/** Saturates past 2^53 − 1, as `Value()` saturates at the int64 limit: such a node fits everything. */
function toNumber(v: bigint): number {
  return Number(v > MAX ? MAX : v < -MAX ? -MAX : v);
}

/** The quantity in thousandths, rounded up (`Quantity.MilliValue()`): cpu in millicores. */
export function milliValue(s: string | number): number {
  const { num, den } = parseFraction(String(s));
  return toNumber(ceilDiv(num * 1000n, den));
}

/** The quantity in whole units, rounded up (`Quantity.Value()`): bytes, pods, devices. */
export function value(s: string | number): number {
  const { num, den } = parseFraction(String(s));
  return toNumber(ceilDiv(num, den));
}

/** Whether `s` parses as a quantity. */
export function isQuantity(s: string): boolean {
  try {
    parseFraction(s);
    return true;
  } catch {
    return false;
  }
}
