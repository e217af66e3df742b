/**
 * The CEL environment every policy expression runs in (ValidatingAdmissionPolicy,
 * MutatingAdmissionPolicy, AccessPolicy), on @marcbachmann/cel-js 8.0.0 (chosen over
 * @bufbuild/cel for parsing optionals and speed, per the project's CEL measurements), with the
 * gaps closed that Kubernetes policies hit:
 * - `matches` runs on RE2 (re2js, linear time): the library's JS RegExp could hang on `(a+)+$`;
 * - JSON integers become CEL ints (BigInt), so `object.spec.replicas + 1` works;
 * - Kubernetes' extra libraries: regex `find`/`findAll`, strings `replace`/`charAt`/`format`,
 *   lists `sum`/`min`/`max`/`isSorted`, and `quantity()`/`isQuantity()`;
 * - a static cost estimate at compile time, refusing expressions whose comprehensions could run
 *   without bound (Kubernetes' StaticEstimatedCostLimit);
 * - a runtime cost meter (cost-meter.ts) that cuts off any evaluation past Kubernetes' per-call
 *   limit, or past what is left of a policy evaluation's budget.
 * Expressions are compiled once and cached by (variables, text).
 */
import { Environment } from '@marcbachmann/cel-js';
import { RE2JS } from 're2js';
import { Quantity } from './quantity.js';
import { charge, CostBudget, metered } from './cost-meter.js';

/** Kubernetes' per-expression static cost limit. */
export const STATIC_COST_LIMIT = 10_000_000;
/** List size assumed for a list whose size is unknown at compile time (a field of the object). */
const UNKNOWN_LIST_SIZE = 1_000;
const MACROS = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);

/** A compile error: the expression and where in it. */
export class CelCompileError extends Error {
  constructor(
    readonly expression: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A compiled expression: run it with its variables; `uses` tells which variables it reads.
 * `evaluate` throws CelCostError when the run passes the per-call cost limit or, given a budget,
 * what is left of it (and then takes what it used from the budget).
 */
export interface CompiledExpression {
  source: string;
  uses: ReadonlySet<string>;
  cost: number;
  /**
   * The fields of `variables` it reads (`variables.name`), or null when it uses `variables` any
   * other way (`variables['name']`, the map itself), so which ones cannot be told.
   */
  variableRefs: ReadonlySet<string> | null;
  /** the parsed tree (nodes of `{op, args, pos}`), for analyses such as schema type checking */
  ast: unknown;
  evaluate(vars: Record<string, unknown>, budget?: CostBudget): unknown;
}

const regexCache = new Map<string, RE2JS>();
function re2(pattern: string): RE2JS {
  let r = regexCache.get(pattern);
  if (!r) {
    try {
      r = RE2JS.compile(pattern);
    } catch (e) {
      throw new Error(`invalid regular expression ${JSON.stringify(pattern)}: ${(e as Error).message}`);
    }
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(pattern, r);
  }
  return r;
}

function findAll(s: string, pattern: string, limit: number): string[] {
  charge(s.length / 10);
  const out: string[] = [];
  const m = re2(pattern).matcher(s);
  while ((limit < 0 || out.length < limit) && m.find()) out.push(m.group() ?? '');
  return out;
}

/** `"%s is %d".format([a, b])`: %s, %d, %f, %% as Kubernetes' strings library. */
function format(fmt: string, args: unknown[]): string {
  let i = 0;
  return fmt.replace(/%([sdfv%])/g, (_m, c: string) => {
    if (c === '%') return '%';
    const v = args[i++];
    if (c === 'f') return Number(v).toFixed(6);
    return typeof v === 'object' && v !== null ? JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? Number(x) : x)) : String(v);
  });
}

const cmp = (a: unknown, b: unknown) => ((a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0);

function baseEnvironment(): Environment {
  const env = new Environment({ enableOptionalTypes: true, homogeneousAggregateLiterals: false, limits: { maxAstNodes: 10_000, maxDepth: 100, maxListElements: 1000, maxMapEntries: 1000, maxCallArguments: 32 } });
  const matches = (s: string, p: string) => charge(s.length / 10) && re2(p).matcher(s).find();
  env.registerFunction('string.re2Matches(string): bool', matches);
  env.registerFunction('re2Matches(string, string): bool', matches);
  env.registerFunction('string.find(string): string', (s: string, p: string) => findAll(s, p, 1)[0] ?? '');
  env.registerFunction('string.findAll(string): list<string>', (s: string, p: string) => findAll(s, p, -1));
  env.registerFunction('string.findAll(string, int): list<string>', (s: string, p: string, n: bigint) => findAll(s, p, Number(n)));
  // replacing '' inserts `b` between every character: charge the result's size before building it
  const chargeReplace = (s: string, a: string, b: string) => charge((s.length + (a === '' ? s.length + 1 : s.length / Math.max(1, a.length)) * b.length) / 10);
  env.registerFunction('string.replace(string, string): string', (s: string, a: string, b: string) => chargeReplace(s, a, b) && s.split(a).join(b));
  env.registerFunction('string.replace(string, string, int): string', (s: string, a: string, b: string, n: bigint) => {
    chargeReplace(s, a, b);
    let out = s;
    let from = 0;
    for (let k = 0; n < 0 || k < n; k++) {
      const i = out.indexOf(a, from);
      if (i < 0) break;
      out = out.slice(0, i) + b + out.slice(i + a.length);
      from = i + b.length;
    }
    return out;
  });
  env.registerFunction('string.charAt(int): string', (s: string, i: bigint) => {
    const n = Number(i);
    if (n < 0 || n > s.length) throw new Error(`index out of range: ${n}`);
    return s.charAt(n);
  });
  env.registerFunction('string.format(list): string', (s: string, args: unknown[]) => format(s, args));
  env.registerFunction('list.sum(): dyn', (l: unknown[]) => (l.length === 0 ? 0n : l.reduce((a, b) => (a as number) + (b as number))));
  env.registerFunction('list.min(): dyn', (l: unknown[]) => {
    if (l.length === 0) throw new Error('min called on an empty list');
    return l.reduce((a, b) => (cmp(b, a) < 0 ? b : a));
  });
  env.registerFunction('list.max(): dyn', (l: unknown[]) => {
    if (l.length === 0) throw new Error('max called on an empty list');
    return l.reduce((a, b) => (cmp(b, a) > 0 ? b : a));
  });
  env.registerFunction('list.isSorted(): bool', (l: unknown[]) => l.every((v, i) => i === 0 || cmp(l[i - 1], v) <= 0));
  env.registerType('Quantity', Quantity);
  env.registerFunction('quantity(string): Quantity', (s: string) => Quantity.parse(s));
  env.registerFunction('isQuantity(string): bool', (s: string) => {
    try {
      Quantity.parse(s);
      return true;
    } catch {
      return false;
    }
  });
  env.registerFunction('Quantity.compareTo(Quantity): int', (a: Quantity, b: Quantity) => BigInt(a.compareTo(b)));
  env.registerFunction('Quantity.isLessThan(Quantity): bool', (a: Quantity, b: Quantity) => a.compareTo(b) < 0);
  env.registerFunction('Quantity.isGreaterThan(Quantity): bool', (a: Quantity, b: Quantity) => a.compareTo(b) > 0);
  env.registerFunction('Quantity.asInteger(): int', (a: Quantity) => BigInt(Math.trunc(a.value)));
  env.registerFunction('Quantity.asApproximateFloat(): double', (a: Quantity) => a.value);
  env.registerFunction('Quantity.add(Quantity): Quantity', (a: Quantity, b: Quantity) => new Quantity(`${a.value + b.value}`, a.value + b.value));
  env.registerFunction('Quantity.sub(Quantity): Quantity', (a: Quantity, b: Quantity) => new Quantity(`${a.value - b.value}`, a.value - b.value));
  return env;
}

let base: Environment | undefined;
const environments = new Map<string, Environment>();

function environmentFor(variables: readonly string[]): Environment {
  const key = [...variables].sort().join(',');
  let env = environments.get(key);
  if (!env) {
    base ??= baseEnvironment();
    env = base.clone();
    for (const v of variables) env.registerVariable(v, 'dyn');
    environments.set(key, env);
  }
  return env;
}

interface AstNode {
  op: string;
  args: unknown;
}

const isNode = (v: unknown): v is AstNode => typeof v === 'object' && v !== null && typeof (v as AstNode).op === 'string' && 'args' in v;

/** Visits every AST node under `v` (args nest nodes in arrays and pairs). */
function walk(v: unknown, visit: (n: AstNode) => void): void {
  if (Array.isArray(v)) {
    for (const x of v) walk(x, visit);
  } else if (isNode(v)) {
    visit(v);
    walk(v.args, visit);
  }
}

/**
 * Estimated cost in Kubernetes-like units: one per node, a comprehension's body times the size of
 * its range (a literal's length, else UNKNOWN_LIST_SIZE), a regex match proportional to its input.
 */
function estimateCost(v: unknown): number {
  if (Array.isArray(v)) return v.reduce((s: number, x) => s + estimateCost(x), 0);
  if (!isNode(v)) return 0;
  if (v.op === 'rcall' && Array.isArray(v.args)) {
    const [name, receiver, args] = v.args as [string, unknown, unknown[]];
    if (MACROS.has(name)) {
      const size = isNode(receiver) && receiver.op === 'list' && Array.isArray(receiver.args) ? receiver.args.length : UNKNOWN_LIST_SIZE;
      return 1 + estimateCost(receiver) + size * Math.max(1, estimateCost(args));
    }
    if (name === 're2Matches' || name === 'find' || name === 'findAll') return 100 + estimateCost(receiver) + estimateCost(args);
  }
  return 1 + estimateCost(v.args);
}

/** The names read as `variables.name` (or `variables.?name`); null when `variables` is used otherwise. */
function variableRefsOf(ast: unknown): Set<string> | null {
  const refs = new Set<string>();
  const counted = new WeakSet<object>();
  let other = false;
  const isVariables = (n: unknown) => isNode(n) && n.op === 'id' && n.args === 'variables';
  walk(ast, (n) => {
    if (other) return;
    if ((n.op === '.' || n.op === '.?') && Array.isArray(n.args) && isVariables(n.args[0]) && typeof n.args[1] === 'string') {
      refs.add(n.args[1]);
      // the receiver is visited next: it is this read, not another use
      counted.add(n.args[0] as object);
    } else if (isVariables(n) && !counted.has(n)) other = true;
  });
  return other ? null : refs;
}

/** Routes `matches` to the RE2 implementation (the library's own cannot be replaced). */
function useRe2(ast: unknown): void {
  walk(ast, (n) => {
    if ((n.op === 'rcall' || n.op === 'call') && Array.isArray(n.args) && n.args[0] === 'matches') n.args[0] = 're2Matches';
  });
}

/** Compiled expressions by variable set, then by source; the variable sets by array (callers pass constants). */
const caches = new Map<string, Map<string, CompiledExpression>>();
const cacheOf = new WeakMap<readonly string[], Map<string, CompiledExpression>>();
let cached = 0;

function cacheFor(variables: readonly string[]): Map<string, CompiledExpression> {
  let c = cacheOf.get(variables);
  if (!c) {
    const key = [...variables].sort().join(',');
    c = caches.get(key) ?? new Map<string, CompiledExpression>();
    caches.set(key, c);
    cacheOf.set(variables, c);
  }
  return c;
}

/**
 * Compiles `source` for an environment declaring `variables` (all dynamic). Throws
 * CelCompileError on syntax and type errors, and when the estimated cost exceeds the limit.
 */
export function compile(source: string, variables: readonly string[]): CompiledExpression {
  const cache = cacheFor(variables);
  const hit = cache.get(source);
  if (hit) return hit;
  const env = environmentFor(variables);
  let fn: ReturnType<Environment['parse']>;
  try {
    fn = env.parse(source);
    useRe2(fn.ast);
    const checked = fn.check();
    if (!checked.valid) throw checked.error;
  } catch (e) {
    throw new CelCompileError(source, (e as Error).message);
  }
  const uses = new Set<string>();
  walk(fn.ast, (n) => {
    if (n.op === 'id' && typeof n.args === 'string') uses.add(n.args);
  });
  const cost = estimateCost(fn.ast);
  if (cost > STATIC_COST_LIMIT) {
    throw new CelCompileError(source, `estimated rule cost exceeds budget by factor of ${(cost / STATIC_COST_LIMIT).toFixed(1)}x (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)`);
  }
  const compiled: CompiledExpression = { source, uses, variableRefs: uses.has('variables') ? variableRefsOf(fn.ast) : new Set(), cost, ast: fn.ast, evaluate: (vars, budget) => metered(source, () => fn(vars), budget) };
  if (++cached > 10_000) {
    for (const c of caches.values()) c.clear();
    cached = 1;
  }
  cache.set(source, compiled);
  return compiled;
}

/**
 * JSON → CEL values: integral numbers become ints (BigInt), as Kubernetes' schemas make them. Maps
 * and lists with no number inside are shared with `v`, not copied (CEL never changes its inputs):
 * do not change `v` while the result is in use.
 */
export function toCel(v: unknown): unknown {
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : v;
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const c = toCel(v[i]);
      if (out !== undefined) out[i] = c;
      else if (c !== v[i]) {
        out = v.slice(0, i);
        out[i] = c;
      }
    }
    return out ?? v;
  }
  const o = v as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  for (const k in o) {
    const c = toCel(o[k]);
    if (out !== undefined) out[k] = c;
    else if (c !== o[k]) {
      out = {};
      for (const before in o) {
        if (before === k) break;
        out[before] = o[before];
      }
      out[k] = c;
    }
  }
  return out ?? v;
}

const converted = new WeakMap<object, unknown>();
/**
 * toCel of an object that is never changed in place (an informer's cached objects are replaced,
 * not edited: namespaces, parameter objects), converted once per version.
 */
export function toCelCached(o: object): unknown {
  let v = converted.get(o);
  if (v === undefined) converted.set(o, (v = toCel(o)));
  return v;
}

/** CEL values → JSON: ints back to numbers. */
export function fromCel(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(fromCel);
  if (v instanceof Map) return Object.fromEntries([...v.entries()].map(([k, x]) => [String(k), fromCel(x)]));
  if (typeof v === 'object' && v !== null && !(v instanceof Quantity)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = fromCel(x);
    return out;
  }
  return v;
}
