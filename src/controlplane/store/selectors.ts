/**
 * Label and field selectors as Kubernetes parses and applies them (apimachinery `labels.Parse`,
 * `metav1.LabelSelectorAsSelector`, `fields.ParseSelector`). Pure functions: the API layer filters lists
 * and watches with them, controllers match their selectors with them. Bad syntax is a 400 BadRequest
 * naming the selector.
 */
import { errors, type StatusError } from '../api/errors.js';

// ---------------------------------------------------------------------------------------------------
// Label selectors

/** Operators as Kubernetes spells them (`selection.Operator`). */
export type LabelOperator = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

export interface LabelRequirement {
  key: string;
  op: LabelOperator;
  /** one value for = == != gt lt, one or more for in / notin, none for exists / ! */
  values: string[];
}

export interface LabelSelector {
  readonly requirements: readonly LabelRequirement[];
  /** true if it selects everything (no requirements) */
  readonly empty: boolean;
  /** whether an object with these labels is selected (all requirements hold) */
  matches(labels: Record<string, string> | undefined): boolean;
  /** the canonical string form (requirements sorted by key, set values sorted), as `Selector.String()` */
  toString(): string;
}

const NAME_RE = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why `key` is not a valid label key (a qualified name: `[prefix/]name`), or undefined if it is. */
export function labelKeyError(key: string): string | undefined {
  const slash = key.indexOf('/');
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (slash >= 0) {
    const prefix = key.slice(0, slash);
    if (!prefix) return `invalid label key "${key}": prefix part must be non-empty`;
    if (prefix.length > 253 || !DNS_SUBDOMAIN_RE.test(prefix)) {
      return `invalid label key "${key}": prefix part must be a lowercase RFC 1123 subdomain of at most 253 characters`;
    }
  }
  if (!name) return `invalid label key "${key}": name part must be non-empty`;
  if (name.length > 63) return `invalid label key "${key}": name part must be no more than 63 characters`;
  if (!NAME_RE.test(name)) {
    return `invalid label key "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`;
  }
  return undefined;
}

/** Why `value` is not a valid label value, or undefined if it is ('' is valid). */
export function labelValueError(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > 63) return `invalid label value "${value}": must be no more than 63 characters`;
  if (!NAME_RE.test(value)) {
    return `invalid label value "${value}": must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`;
  }
  return undefined;
}

/** Checks one requirement as `labels.NewRequirement` does; returns why it is invalid. */
function requirementError(r: LabelRequirement): string | undefined {
  const keyErr = labelKeyError(r.key);
  if (keyErr) return keyErr;
  switch (r.op) {
    case 'in':
    case 'notin':
      if (r.values.length === 0) return "for 'in', 'notin' operators, values set can't be empty";
      break;
    case '=':
    case '==':
    case '!=':
      if (r.values.length !== 1) return 'exact-match compatibility requires one single value';
      break;
    case 'exists':
    case '!':
      if (r.values.length !== 0) return 'values set must be empty for exists and does not exist';
      break;
    case 'gt':
    case 'lt':
      if (r.values.length !== 1 || !/^-?\d+$/.test(r.values[0])) return "for 'Gt', 'Lt' operators, the value must be an integer";
      return undefined;
  }
  for (const v of r.values) {
    const e = labelValueError(v);
    if (e) return e;
  }
  return undefined;
}

function requirementMatches(r: LabelRequirement, labels: Record<string, string> | undefined): boolean {
  const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = has ? labels![r.key] : undefined;
  switch (r.op) {
    case '=':
    case '==':
    case 'in':
      return has && r.values.includes(value!);
    case '!=':
    case 'notin':
      return !has || !r.values.includes(value!);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      if (!has || !/^-?\d+$/.test(value!)) return false;
      const have = BigInt(value!);
      const want = BigInt(r.values[0]);
      return r.op === 'gt' ? have > want : have < want;
    }
  }
}

function requirementString(r: LabelRequirement): string {
  switch (r.op) {
    case 'exists':
      return r.key;
    case '!':
      return `!${r.key}`;
    case 'in':
    case 'notin':
      return `${r.key} ${r.op} (${[...r.values].sort().join(',')})`;
    case 'gt':
      return `${r.key}>${r.values[0]}`;
    case 'lt':
      return `${r.key}<${r.values[0]}`;
    default:
      return `${r.key}${r.op}${r.values[0]}`;
  }
}

function selectorOf(requirements: LabelRequirement[]): LabelSelector {
  const sorted = [...requirements].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return {
    requirements: sorted,
    empty: sorted.length === 0,
    matches: (labels) => sorted.every((r) => requirementMatches(r, labels)),
    toString: () => sorted.map(requirementString).join(','),
  };
}

/** A selector that selects nothing (what a nil metav1 LabelSelector means). */
const NOTHING: LabelSelector = { requirements: [], empty: false, matches: () => false, toString: () => '' };

type Token =
  | { kind: 'id'; text: string }
  | { kind: 'op'; text: '!' | '!=' | '=' | '==' | '(' | ')' | ',' | '>' | '<' }
  | { kind: 'end'; text: '' };

const SPECIAL = new Set(['!', '=', '(', ')', ',', '>', '<']);

function tokenize(s: string, fail: (why: string) => StatusError): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (/\s/.test(c)) {
      i++;
    } else if (SPECIAL.has(c)) {
      const two = s.slice(i, i + 2);
      if (two === '!=' || two === '==') {
        out.push({ kind: 'op', text: two });
        i += 2;
      } else {
        out.push({ kind: 'op', text: c as '!' });
        i++;
      }
    } else {
      let j = i;
      while (j < s.length && !/\s/.test(s[j]) && !SPECIAL.has(s[j])) j++;
      out.push({ kind: 'id', text: s.slice(i, j) });
      i = j;
    }
  }
  if (out.length === 0 && s.trim() !== '') throw fail('empty selector');
  out.push({ kind: 'end', text: '' });
  return out;
}

const show = (t: Token): string => (t.kind === 'end' ? 'end of string' : t.text);

/**
 * Parses a label selector string (`a=b,c!=d,e in (f,g),h notin (i),j,!k`; also `==`, `gt`/`lt` via
 * `>`/`<`). '' selects everything. Throws BadRequest naming the selector on bad syntax or invalid
 * keys/values.
 */
export function parseLabelSelector(selector: string): LabelSelector {
  const fail = (why: string) => errors.badRequest(`unable to parse label selector "${selector}": ${why}`);
  const toks = tokenize(selector, fail);
  let pos = 0;
  const peek = () => toks[pos];
  const next = () => toks[pos++];
  const reqs: LabelRequirement[] = [];

  const values = (): string[] => {
    const open = next();
    if (open.text !== '(' || open.kind !== 'op') throw fail(`found '${show(open)}', expected: '('`);
    const vals: string[] = [];
    if (peek().text === ')' && peek().kind === 'op') {
      next();
      return vals;
    }
    for (;;) {
      let t = peek();
      if (t.kind === 'id' && t.text !== 'in' && t.text !== 'notin') {
        vals.push(t.text);
        next();
        t = peek();
      } else {
        vals.push('');
      }
      if (t.kind === 'op' && t.text === ',') {
        next();
        continue;
      }
      if (t.kind === 'op' && t.text === ')') {
        next();
        return vals;
      }
      throw fail(`found '${show(t)}', expected: ',', ')' or identifier`);
    }
  };

  if (peek().kind === 'end') return selectorOf(reqs);
  for (;;) {
    let t = next();
    let op: LabelOperator | undefined;
    if (t.kind === 'op' && t.text === '!') {
      op = '!';
      t = next();
    }
    if (t.kind !== 'id') throw fail(`found '${show(t)}', expected: identifier`);
    const key = t.text;
    let vals: string[] = [];
    const after = peek();
    const ends = after.kind === 'end' || (after.kind === 'op' && after.text === ',');
    if (op === '!') {
      if (!ends) throw fail(`found '${show(after)}', expected: ',' or 'end of string'`);
    } else if (ends) {
      op = 'exists';
    } else {
      const o = next();
      if (o.kind === 'id' && (o.text === 'in' || o.text === 'notin')) {
        op = o.text;
        vals = values();
      } else if (o.kind === 'op' && (o.text === '=' || o.text === '==' || o.text === '!=' || o.text === '>' || o.text === '<')) {
        op = o.text === '>' ? 'gt' : o.text === '<' ? 'lt' : o.text;
        const v = peek();
        if (v.kind === 'id') {
          vals = [v.text];
          next();
        } else if (v.kind === 'end' || v.text === ',') {
          vals = [''];
        } else {
          throw fail(`found '${show(v)}', expected: identifier`);
        }
      } else {
        throw fail(`found '${show(o)}', expected: in, notin, =, ==, !=, gt, lt`);
      }
    }
    const req: LabelRequirement = { key, op, values: vals };
    const why = requirementError(req);
    if (why) throw fail(why);
    reqs.push(req);
    const sep = next();
    if (sep.kind === 'end') break;
    if (sep.kind !== 'op' || sep.text !== ',') throw fail(`found '${show(sep)}', expected: ',' or 'end of string'`);
    const t2 = peek();
    if (t2.kind !== 'id' && !(t2.kind === 'op' && t2.text === '!')) throw fail(`found '${show(t2)}', expected: identifier after ','`);
  }
  return selectorOf(reqs);
}

/** A metav1 LabelSelector (structurally; kubernetes-types' `LabelSelector` fits). */
export interface LabelSelectorObject {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

const EXPRESSION_OPS: Record<string, LabelOperator> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };

/**
 * `metav1.LabelSelectorAsSelector`: null/undefined selects nothing, `{}` selects everything. Throws
 * BadRequest for an unknown operator or an invalid requirement.
 */
export function labelSelectorFromObject(sel: LabelSelectorObject | null | undefined): LabelSelector {
  if (sel === null || sel === undefined) return NOTHING;
  const reqs: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(sel.matchLabels ?? {})) reqs.push({ key, op: '=', values: [value] });
  for (const e of sel.matchExpressions ?? []) {
    const op = EXPRESSION_OPS[e.operator];
    if (!op) throw errors.badRequest(`"${e.operator}" is not a valid label selector operator`);
    reqs.push({ key: e.key, op, values: [...(e.values ?? [])] });
  }
  for (const r of reqs) {
    const why = requirementError(r);
    if (why) throw errors.badRequest(`invalid label selector: ${why}`);
  }
  return selectorOf(reqs);
}

/**
 * A metav1 LabelSelector as its selector string (`LabelSelectorAsSelector(sel).String()`, e.g. for a
 * Scale's status.selector): '' for an empty or nil selector. Throws BadRequest like labelSelectorFromObject.
 */
export function formatLabelSelector(sel: LabelSelectorObject | null | undefined): string {
  return labelSelectorFromObject(sel).toString();
}

// ---------------------------------------------------------------------------------------------------
// Field selectors

export interface FieldRequirement {
  field: string;
  /** `==` is normalised to `=` */
  op: '=' | '!=';
  value: string;
}


/** Splits on commas not escaped by `\` (`fields.splitTerms`). */
function splitTerms(s: string): string[] {
  const terms: string[] = [];
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === ',') {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

/** Undoes `\\`, `\,` and `\=` (`fields.UnescapeValue`); undefined for any other escape. */
function unescape(v: string): string | undefined {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    if (v[i] !== '\\') {
      out += v[i];
      continue;
    }
    const c = v[++i];
    if (c !== '\\' && c !== ',' && c !== '=') return undefined;
    out += c;
  }
  return out;
}

/**
 * Parses a field selector (`metadata.name=x,status.phase!=Running`; `==` too; values may escape `\,`
 * `\=` `\\`). '' selects everything. Throws BadRequest naming the selector on bad syntax.
 */
export function parseFieldSelector(selector: string): FieldRequirement[] {
  const fail = (why: string) => errors.badRequest(`invalid field selector "${selector}": ${why}`);
  const requirements: FieldRequirement[] = [];
  for (const term of splitTerms(selector)) {
    if (term === '') continue;
    // Like Kubernetes, the field cannot be escaped: the first operator splits the term.
    const m = /^(.*?)(!=|==|=)(.*)$/s.exec(term);
    if (!m || m[1] === '') throw fail(`can't understand '${term}'`);
    const value = unescape(m[3]);
    if (value === undefined) throw fail(`invalid escape sequence in '${m[3]}'`);
    requirements.push({ field: m[1], op: m[2] === '!=' ? '!=' : '=', value });
  }
  return requirements;
}

/** The distinct fields a selector uses; the caller answers 400 for any its resource does not support. */
export function selectorFields(reqs: readonly FieldRequirement[]): string[] {
  return [...new Set(reqs.map((r) => r.field))];
}

/** Whether an object passes every requirement; `get` returns a field's value, undefined counting as ''. */
export function matchesFields(reqs: readonly FieldRequirement[], get: (field: string) => string | undefined): boolean {
  return reqs.every((r) => ((get(r.field) ?? '') === r.value) === (r.op === '='));
}
