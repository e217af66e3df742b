/**
 * Reuses the value of an admission expression already evaluated with the same inputs. Policies of
 * one library declare the same variables (four of berth's compute `spec` and `containers` alike),
 * and a variable that reads only the parameter object (registries split out of a ConfigMap) has
 * the same value for every request until that object changes. CEL is deterministic, so the value
 * computed for the same inputs (compared by identity) is the value; its cost is charged again, so
 * budgets and cut-offs are those of evaluating it. Only values are kept: an evaluation that fails
 * runs again (and fails again) next time.
 */
import type { CompiledExpression } from '../cel/cel.js';
import { chargeCached, CostBudget, lastCost } from '../cel/cost-meter.js';

/** The admission inputs an expression's value depends on, besides `variables`. */
const INPUTS = ['object', 'oldObject', 'request', 'namespaceObject', 'params'] as const;

interface Entry {
  key: unknown[];
  value: unknown;
  cost: number;
}

/** Values of expressions that read only `params`, per parameter object (replaced, never edited). */
const byParams = new WeakMap<object, WeakMap<CompiledExpression, { value: unknown; cost: number }>>();

/** The values one request's expressions computed; make one per request (per set of inputs). */
export class ExpressionMemo {
  private readonly entries = new Map<CompiledExpression, Entry[]>();

  /** `expr.evaluate(vars, budget)`, or the value it had with the same inputs. */
  evaluate(expr: CompiledExpression, vars: Record<string, unknown>, budget: CostBudget): unknown {
    if (expr.variableRefs === null) return expr.evaluate(vars, budget);
    const params = vars.params;
    if (expr.variableRefs.size === 0 && typeof params === 'object' && params !== null && paramsOnly(expr)) {
      let memo = byParams.get(params);
      const hit = memo?.get(expr);
      if (hit) return chargeCached(expr.source, hit.cost, budget, hit.value);
      const value = expr.evaluate(vars, budget);
      if (!memo) byParams.set(params, (memo = new WeakMap()));
      memo.set(expr, { value, cost: lastCost() });
      return value;
    }
    const key: unknown[] = [];
    for (const name of INPUTS) if (expr.uses.has(name)) key.push(vars[name]);
    const variables = vars.variables as Record<string, unknown>;
    for (const name of expr.variableRefs) key.push(variables[name]);
    let list = this.entries.get(expr);
    const hit = list && find(list, key);
    if (hit) return chargeCached(expr.source, hit.cost, budget, hit.value);
    const value = expr.evaluate(vars, budget);
    if (!list) this.entries.set(expr, (list = []));
    list.push({ key, value, cost: lastCost() });
    return value;
  }
}

/** The entry for `key` (same length: same expression). */
function find(list: Entry[], key: unknown[]): Entry | undefined {
  next: for (const e of list) {
    for (let i = 0; i < key.length; i++) if (!Object.is(e.key[i], key[i])) continue next;
    return e;
  }
  return undefined;
}

/** Reads `params` and no other input (its other identifiers are its own: comprehension variables). */
function paramsOnly(expr: CompiledExpression): boolean {
  if (!expr.uses.has('params')) return false;
  for (const name of INPUTS) if (name !== 'params' && expr.uses.has(name)) return false;
  return !expr.uses.has('variables');
}
