/**
 * Type checking of a ValidatingAdmissionPolicy against the schemas of the kinds it matches, as
 * Kubernetes' type-checking controller does for `status.typeChecking`: expressions compile with
 * every variable dynamic (compile errors are refused at write time), so a misspelt field —
 * `object.spec.replica` — only shows up here, as a warning per expression naming the kind and the
 * position. Follows field selections from `object`/`oldObject`, index and comprehension variables
 * (`containers.all(c, c.imagee ...)`); anything else (variables, params, maps of unknown shape,
 * preserve-unknown-fields) is not checked.
 */
import type { ValidatingAdmissionPolicy } from 'kubernetes-types/admissionregistration/v1.js';
import { registry } from '../../controlplane/resources/registry.js';
import { apiVersionOf, type ResourceType, type SchemaNode } from '../../controlplane/resources/types.js';
import { compile } from '../cel/cel.js';
import { ADMISSION_VARIABLES } from './validating-policy.js';
import type { MatchResources } from './match.js';

/** One entry of `status.typeChecking.expressionWarnings`. */
export interface ExpressionWarning {
  fieldRef: string;
  warning: string;
}

interface Node {
  op: string;
  args: unknown;
  pos?: number;
}

const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && typeof (v as Node).op === 'string';
const MACROS = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);

/** The kinds a policy's matchConstraints name (wildcard groups and resources are not resolved, as in Kubernetes). */
export function matchedTypes(policy: ValidatingAdmissionPolicy): ResourceType[] {
  const out = new Map<string, ResourceType>();
  // kubernetes-types' NamedRuleWithOperations lacks `resources`: read the rules as match.ts types them
  for (const rule of (policy.spec?.matchConstraints as MatchResources | undefined)?.resourceRules ?? []) {
    for (const group of rule.apiGroups ?? []) {
      for (const resource of rule.resources ?? []) {
        if (group === '*' || resource === '*' || resource.includes('/')) continue;
        for (const t of registry.all()) {
          if (t.group !== group || t.resource !== resource) continue;
          if ((rule.apiVersions ?? ['*']).some((v) => v === '*' || v === t.version)) out.set(`${apiVersionOf(t)}/${t.kind}`, t);
        }
      }
    }
  }
  return [...out.values()];
}

/** A field selection the schema does not have; line and column 1-based. */
export interface UndefinedField {
  field: string;
  line: number;
  column: number;
}

/**
 * The kind a condition `object.kind == 'K'` (or `!=`) tests, and whether it holds for `kind`;
 * undefined for any other condition.
 */
function kindGuard(cond: unknown, kind: string | undefined): boolean | undefined {
  if (!kind || !isNode(cond) || (cond.op !== '==' && cond.op !== '!=') || !Array.isArray(cond.args)) return undefined;
  const [l, r] = cond.args as unknown[];
  const isKind = (n: unknown) => isNode(n) && n.op === '.' && Array.isArray(n.args) && n.args[1] === 'kind' && isNode(n.args[0]) && n.args[0].op === 'id' && n.args[0].args === 'object';
  const literal = (n: unknown) => (isNode(n) && n.op === 'value' && typeof n.args === 'string' ? n.args : undefined);
  const k = isKind(l) ? literal(r) : isKind(r) ? literal(l) : undefined;
  if (k === undefined) return undefined;
  return (k === kind) === (cond.op === '==');
}

/**
 * Undefined-field errors of one expression against one kind's schema. `kind` lets a branch guarded
 * by `object.kind == 'Pod' ? … : …` be skipped for the kinds that cannot take it.
 */
export function undefinedFields(source: string, schema: SchemaNode, kind?: string): UndefinedField[] {
  const errors: UndefinedField[] = [];
  const at = (field: string, pos: number) => {
    const before = source.slice(0, pos).split('\n');
    errors.push({ field, line: before.length, column: before[before.length - 1].length + 1 });
  };
  const root: Map<string, SchemaNode | undefined> = new Map([
    ['object', schema],
    ['oldObject', schema],
  ]);
  const visit = (v: unknown, scope: Map<string, SchemaNode | undefined>): SchemaNode | undefined => {
    if (Array.isArray(v)) {
      for (const x of v) visit(x, scope);
      return undefined;
    }
    if (!isNode(v)) return undefined;
    const args = v.args;
    switch (v.op) {
      case 'id':
        return typeof args === 'string' ? scope.get(args) : undefined;
      case '.':
      case '.?': {
        const [target, field] = args as [unknown, string];
        const s = visit(target, scope);
        if (!s || s.preserveUnknownFields) return undefined;
        if (s.properties?.[field]) return s.properties[field];
        if (s.additionalProperties) return s.additionalProperties;
        if (s.properties) at(field, v.pos ?? 0);
        return undefined;
      }
      case '[]':
      case '[?]': {
        const [target, index] = args as [unknown, unknown];
        const s = visit(target, scope);
        visit(index, scope);
        return s?.items ?? s?.additionalProperties;
      }
      case '?:': {
        const [cond, then, otherwise] = args as [unknown, unknown, unknown];
        visit(cond, scope);
        const holds = kindGuard(cond, kind);
        if (holds !== false) visit(then, scope);
        if (holds !== true) visit(otherwise, scope);
        return undefined;
      }
      case 'rcall': {
        const [name, receiver, rest] = args as [string, unknown, unknown[]];
        const s = visit(receiver, scope);
        if (MACROS.has(name) && isNode(rest[0]) && rest[0].op === 'id' && typeof rest[0].args === 'string') {
          const inner = new Map(scope);
          inner.set(rest[0].args, s?.items);
          visit(rest.slice(1), inner);
        } else visit(rest, scope);
        return undefined;
      }
      default:
        visit(args, scope);
        return undefined;
    }
  };
  try {
    visit(compile(source, ADMISSION_VARIABLES).ast, root);
  } catch {
    // expressions that do not compile are refused at write time; nothing to add here
  }
  return errors;
}

/** The expressions of a policy with their field paths. */
function expressions(policy: ValidatingAdmissionPolicy): [string, string][] {
  const s = policy.spec;
  const out: [string, string][] = [];
  (s?.matchConditions ?? []).forEach((c, i) => out.push([`spec.matchConditions[${i}].expression`, c.expression]));
  (s?.variables ?? []).forEach((v, i) => out.push([`spec.variables[${i}].expression`, v.expression]));
  (s?.validations ?? []).forEach((v, i) => {
    out.push([`spec.validations[${i}].expression`, v.expression]);
    if (v.messageExpression) out.push([`spec.validations[${i}].messageExpression`, v.messageExpression]);
  });
  (s?.auditAnnotations ?? []).forEach((a, i) => out.push([`spec.auditAnnotations[${i}].valueExpression`, a.valueExpression]));
  return out;
}

/** The warnings Kubernetes puts in `status.typeChecking.expressionWarnings`: per expression, per matched kind. */
export function typeCheckPolicy(policy: ValidatingAdmissionPolicy): ExpressionWarning[] {
  const types = matchedTypes(policy);
  const out: ExpressionWarning[] = [];
  for (const [fieldRef, source] of expressions(policy)) {
    const lines: string[] = [];
    for (const t of types) {
      for (const e of undefinedFields(source, t.schema(), t.kind)) {
        const line = source.split('\n')[e.line - 1];
        lines.push(`${apiVersionOf(t)}, Kind=${t.kind}: ERROR: <input>:${e.line}:${e.column}: undefined field '${e.field}'\n | ${line}\n | ${'.'.repeat(e.column - 1)}^`);
      }
    }
    if (lines.length) out.push({ fieldRef, warning: lines.join('\n') });
  }
  return out;
}
