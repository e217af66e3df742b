import { describe, expect, it, vi } from 'vitest';
import { compile, fromCel, toCel, type CompiledExpression } from '../cel/cel.js';
import { CelCostError, CostBudget } from '../cel/cost-meter.js';
import { ExpressionMemo } from './expression-memo.js';
import { ADMISSION_VARIABLES } from './validating-policy.js';

/** `src` compiled, with its evaluations counted. */
function counted(src: string): CompiledExpression & { evaluate: ReturnType<typeof vi.fn> } {
  const c = compile(src, ADMISSION_VARIABLES);
  return { ...c, evaluate: vi.fn(c.evaluate) };
}

const deployment = (image: string) => toCel({ kind: 'Deployment', spec: { template: { spec: { containers: [{ name: 'c', image }] } } } });
const vars = (object: unknown, variables: Record<string, unknown> = {}, params: unknown = null) => ({ object, oldObject: null, request: null, namespaceObject: null, params, variables });

describe('ExpressionMemo', () => {
  it('evaluates an expression once per set of inputs, and charges its cost every time', () => {
    const memo = new ExpressionMemo();
    const e = counted("object.kind == 'Pod' ? object.spec : object.spec.template.spec");
    const object = deployment('a:1');
    const once = new CostBudget();
    const first = memo.evaluate(e, vars(object), once);
    const twice = new CostBudget();
    const second = memo.evaluate(e, vars(object), twice);
    expect(second).toBe(first);
    expect(e.evaluate).toHaveBeenCalledTimes(1);
    expect(twice.remaining).toBe(once.remaining);
    expect(twice.remaining).toBeLessThan(new CostBudget().remaining);
    // another object is other inputs
    expect(fromCel(memo.evaluate(e, vars(deployment('b:2')), new CostBudget()))).toEqual({ containers: [{ name: 'c', image: 'b:2' }] });
    expect(e.evaluate).toHaveBeenCalledTimes(2);
  });

  it('tells variables apart by the values of those the expression reads', () => {
    const memo = new ExpressionMemo();
    const e = counted('variables.spec.containers.size()');
    const object = deployment('a:1');
    const spec = { containers: [1n, 2n] };
    expect(memo.evaluate(e, vars(object, { spec, other: 1n }), new CostBudget())).toBe(2n);
    expect(memo.evaluate(e, vars(object, { spec, other: 2n }), new CostBudget())).toBe(2n);
    expect(e.evaluate).toHaveBeenCalledTimes(1);
    expect(memo.evaluate(e, vars(object, { spec: { containers: [1n] } }), new CostBudget())).toBe(1n);
    expect(e.evaluate).toHaveBeenCalledTimes(2);
  });

  it('always evaluates an expression that reads variables by a computed name', () => {
    const memo = new ExpressionMemo();
    const e = counted("variables['spec'] == 1");
    for (let i = 0; i < 2; i++) memo.evaluate(e, vars(null, { spec: 1n }), new CostBudget());
    expect(e.evaluate).toHaveBeenCalledTimes(2);
  });

  it('keeps the value of a params-only expression for the parameter object, across requests', () => {
    const e = counted("params.data.registries.split(',').map(r, r.trim())");
    const params = toCel({ data: { registries: 'a.io, b.io' } });
    for (const object of [deployment('a:1'), deployment('b:2')]) expect(fromCel(new ExpressionMemo().evaluate(e, vars(object, {}, params), new CostBudget()))).toEqual(['a.io', 'b.io']);
    expect(e.evaluate).toHaveBeenCalledTimes(1);
    expect(fromCel(new ExpressionMemo().evaluate(e, vars(null, {}, toCel({ data: { registries: 'c.io' } })), new CostBudget()))).toEqual(['c.io']);
    expect(e.evaluate).toHaveBeenCalledTimes(2);
  });

  it('cuts a remembered value off as the evaluation would be: past what is left of the budget', () => {
    const memo = new ExpressionMemo();
    const e = counted('object.spec.template.spec.containers.all(c, c.image.contains(":"))');
    const object = deployment('a:1');
    const full = new CostBudget();
    expect(memo.evaluate(e, vars(object), full)).toBe(true);
    const cost = new CostBudget().remaining - full.remaining;
    const short = new CostBudget(cost - 1);
    const err = (() => {
      try {
        memo.evaluate(e, vars(object), short);
      } catch (x) {
        return x;
      }
    })();
    expect(err).toBeInstanceOf(CelCostError);
    expect((err as CelCostError).budget).toBe(true);
    expect(short.remaining).toBeLessThan(0);
  });

  it('does not keep failures', () => {
    const memo = new ExpressionMemo();
    const e = counted('object.spec.missing.size() > 0');
    for (let i = 0; i < 2; i++) expect(() => memo.evaluate(e, vars(deployment('a:1')), new CostBudget())).toThrow();
    expect(e.evaluate).toHaveBeenCalledTimes(2);
  });
});
