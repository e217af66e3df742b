/**
 * The runtime bound on CEL evaluation: a cost meter, as Kubernetes runs every policy expression
 * with one (1,000,000 units per call, 10,000,000 per policy evaluation). The static estimate at
 * write time cannot see everything — `cel.bind` chains that double a string, literal lists nested
 * three deep, variables that build on each other — so each evaluation counts as it goes and is
 * cut off when it passes its limit. Evaluation is synchronous on the API server's thread; the
 * meter is what keeps one expression from stalling every other request.
 *
 * @marcbachmann/cel-js has no cost hook, but every node below the root is evaluated through its
 * evaluator's `run(ast, ctx)`: the meter wraps that method (on the evaluator class, shared by all
 * environments; the library is pinned exactly, and cel.test.ts fails if the hook stops counting).
 * Costs, in Kubernetes-like units: 1 per node evaluated (every comprehension step included); a
 * string made by `+` or a function costs a tenth of its length, a list its length (so unbounded
 * allocation is cut off too); functions that scan or build strings (regex, replace) charge before
 * they work.
 */
import { Environment } from '@marcbachmann/cel-js';

/** Kubernetes' per-call limit (PerCallLimit): roughly 0.1 s of work in cel-go. */
export const PER_CALL_COST_LIMIT = 1_000_000;
/** Kubernetes' RuntimeCELCostBudget: all expressions of one (policy, binding, param) evaluation. */
export const EVALUATION_COST_BUDGET = 10_000_000;

/** An evaluation was cut off. `budget`: the policy evaluation's budget ran out, not the per-call limit. */
export class CelCostError extends Error {
  constructor(
    readonly expression: string,
    readonly budget: boolean,
  ) {
    super(
      budget
        ? `validation failed due to running out of cost budget, no further validation rules will be run (evaluation cost budget exceeded: ${EVALUATION_COST_BUDGET} units per policy evaluation)`
        : `operation cancelled: actual cost limit exceeded (evaluation cost budget exceeded: ${PER_CALL_COST_LIMIT} units per expression)`,
    );
  }
}

/** What is left of one policy evaluation's budget; pass the same one to each of its expressions. */
export class CostBudget {
  constructor(public remaining: number = EVALUATION_COST_BUDGET) {}
}

let used = 0;
let limit = Infinity;
/** Thrown from inside the evaluator (cheap: no stack); `metered` turns it into a CelCostError. */
const CUT_OFF = Object.create(Error.prototype) as Error;

interface Evaluator {
  run(ast: { op: string; evaluate(ev: Evaluator, ast: unknown, ctx: unknown): unknown }, ctx: unknown): unknown;
}

/** Wraps the evaluator class's `run`, found through a function handler (called with `this` = evaluator). */
function install(): void {
  let proto: Evaluator | undefined;
  const probe = new Environment();
  probe.registerFunction('evaluatorProbe(): bool', function (this: Evaluator) {
    proto = Object.getPrototypeOf(this) as Evaluator;
    return true;
  });
  probe.evaluate('evaluatorProbe()');
  if (!proto || typeof proto.run !== 'function') throw new Error('@marcbachmann/cel-js: the evaluator has no run method to meter (was the library upgraded?)');
  proto.run = function run(ast, ctx) {
    if (++used > limit) throw CUT_OFF;
    const r = ast.evaluate(this, ast, ctx);
    // a new string or list (from `+` or a function) is charged by its size
    if (typeof r === 'string' || Array.isArray(r)) {
      const op = ast.op;
      if (op === '+' || op === 'rcall' || op === 'call') used += typeof r === 'string' ? Math.ceil(r.length / 10) : r.length;
    }
    return r;
  };
}
install();

/** Charges `units` to the running evaluation (for functions whose work grows with their input). */
export function charge(units: number): true {
  used += Math.ceil(units);
  if (used > limit) throw CUT_OFF;
  return true;
}

/**
 * Runs one evaluation of `expression` under the meter: cut off past PER_CALL_COST_LIMIT or what
 * is left of `budget`, whichever is lower; takes the cost from `budget`.
 */
export function metered<T>(expression: string, run: () => T, budget?: CostBudget): T {
  const own = budget ? Math.min(PER_CALL_COST_LIMIT, budget.remaining) : PER_CALL_COST_LIMIT;
  used = 0;
  limit = own;
  try {
    const r = run();
    if (used > own) throw CUT_OFF;
    return r;
  } catch (e) {
    // a quantifier or `||` may have swallowed the cut-off and failed on another error after it
    if (e === CUT_OFF || used > own) throw new CelCostError(expression, own < PER_CALL_COST_LIMIT);
    throw e;
  } finally {
    if (budget) budget.remaining -= Math.min(used, own + 1);
    limit = Infinity;
  }
}

/**
 * Takes the cost of an evaluation whose value is known (it ran before with the same inputs) as
 * `metered` would have taken it: returns `value`, or throws the CelCostError that running it again
 * under this limit and `budget` would throw.
 */
export function chargeCached<T>(expression: string, cost: number, budget: CostBudget | undefined, value: T): T {
  const own = budget ? Math.min(PER_CALL_COST_LIMIT, budget.remaining) : PER_CALL_COST_LIMIT;
  used = cost;
  if (budget) budget.remaining -= Math.min(cost, own + 1);
  if (cost > own) throw new CelCostError(expression, own < PER_CALL_COST_LIMIT);
  return value;
}

/** Cost units the last metered evaluation used (for tests and the benchmark). */
export function lastCost(): number {
  return used;
}
