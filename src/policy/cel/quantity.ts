/**
 * Kubernetes resource quantities (`500m`, `1Gi`, `2e3`) for CEL's quantity library and the
 * admission plugins: parsed to a number of base units, compared and added as Kubernetes does.
 */

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
const PATTERN = /^([+-]?(?:\d+\.?\d*|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?\d+|n|u|m|k|M|G|T|P|E)?$/;

/** The value of a quantity string in base units; undefined when it is not a quantity. */
export function parseQuantity(s: string): number | undefined {
  const m = PATTERN.exec(s.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const suffix = m[2] ?? '';
  if (suffix in BINARY) return n * BINARY[suffix];
  if (suffix in DECIMAL) return n * DECIMAL[suffix];
  return n * 10 ** Number(suffix.slice(1));
}

/** A parsed quantity, the CEL `Quantity` type. */
export class Quantity {
  constructor(
    readonly source: string,
    readonly value: number,
  ) {}

  static parse(s: string): Quantity {
    const v = parseQuantity(s);
    if (v === undefined) throw new Error(`quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': "${s}"`);
    return new Quantity(s, v);
  }

  compareTo(o: Quantity): number {
    return this.value < o.value ? -1 : this.value > o.value ? 1 : 0;
  }
}
