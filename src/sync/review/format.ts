/**
 * The four outputs of `berth review`: plain text for a terminal, Markdown to paste as a pull-request
 * comment, JSON for scripts (the report as is, sorted) and SARIF 2.1.0 for code-scanning tools.
 */
import { isDeny, type AccessCheck, type ObjectEntry, type PolicyViolation, type ReviewReport } from './report.js';

/** Output formats of `berth review -o`. */
export const FORMATS = ['text', 'markdown', 'json', 'sarif'] as const;
/** One of FORMATS. */
export type Format = (typeof FORMATS)[number];

const at = (s: { file: string; line: number }) => `${s.file}:${s.line}`;
const level = (v: PolicyViolation) => (isDeny(v) ? 'Deny' : v.actions.join('+'));

/** For a terminal: the summary, the changes with diffs, then the violations. */
export function formatText(r: ReviewReport): string {
  const out = [`berth review ${r.base}..${r.head}: ${r.summary}`];
  for (const o of r.added) out.push(`+ ${o.id} (${at(o.source)})`);
  for (const o of r.removed) out.push(`- ${o.id} (${at(o.source)})`);
  for (const o of r.changed) out.push(`~ ${o.id} (${at(o.source)})`, ...o.diff.trimEnd().split('\n').map((l) => `    ${l}`));
  for (const v of r.violations) out.push(`${level(v)} ${v.policy} [${v.origin}]: ${v.object} at ${at(v.source)}: ${v.message}`);
  if (r.access) {
    out.push(`RBAC as ${r.access.subject.user}:`);
    for (const c of r.access.checks) out.push(`  ${c.allowed ? 'allowed' : 'FORBIDDEN'} ${c.verb} ${c.object} (${at(c.source)})${c.allowed ? '' : `: ${c.reason}`}`);
  }
  return out.join('\n') + '\n';
}

// a table cell of text: no HTML (a message may name `<none>`), no column break, one line
const cell = (s: string) => escapeHtml(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;

/** A pull-request comment: summary table, change lists, collapsible diffs, violations table. */
export function formatMarkdown(r: ReviewReport): string {
  const denies = r.violations.filter(isDeny).length;
  const out = [
    `### ${r.passed ? '✅' : '❌'} berth review \`${r.base}\` → \`${r.head}\``,
    '',
    r.summary,
    '',
    '| Added | Changed | Removed | Unchanged | Denied | Warn/Audit |',
    '|---:|---:|---:|---:|---:|---:|',
    `| ${r.added.length} | ${r.changed.length} | ${r.removed.length} | ${r.unchanged} | ${denies} | ${r.violations.length - denies} |`,
  ];
  const list = (title: string, items: ObjectEntry[]) => {
    if (items.length === 0) return;
    out.push('', `#### ${title}`, '', ...items.map((o) => `- ${code(o.id)} (${code(at(o.source))})`));
  };
  list('Added', r.added);
  list('Removed', r.removed);
  if (r.changed.length > 0) {
    out.push('', '#### Changed', '');
    for (const o of r.changed) {
      out.push('<details>', `<summary><code>${escapeHtml(o.id)}</code> (${escapeHtml(at(o.source))})</summary>`, '', '```diff', o.diff.trimEnd(), '```', '', '</details>');
    }
  }
  if (r.violations.length > 0) {
    out.push('', '#### Policy violations', '', '| Action | Policy | Object | Location | Message | From |', '|---|---|---|---|---|---|');
    for (const v of r.violations) out.push(`| ${level(v)} | ${cell(v.policy)} | ${code(v.object)} | ${code(at(v.source))} | ${cell(v.message)} | ${cell(v.origin)} |`);
  }
  if (r.access) {
    const { subject, checks } = r.access;
    const forbidden = checks.filter((c) => !c.allowed);
    const row = (c: AccessCheck) => `| ${c.allowed ? 'allowed' : '**forbidden**'} | ${c.verb} | ${code(c.object)} | ${code(at(c.source))} | ${cell(c.reason)} |`;
    const head = ['| RBAC | Verb | Object | Location | Reason |', '|---|---|---|---|---|'];
    out.push('', `#### RBAC as ${code(subject.user)}${subject.groups.length ? ` (groups ${subject.groups.map(code).join(', ')})` : ''}`, '', `${forbidden.length} of ${checks.length} changes forbidden.`);
    if (forbidden.length > 0) out.push('', ...head, ...forbidden.map(row));
    if (checks.length > 0) out.push('', '<details>', `<summary>all ${checks.length} checks</summary>`, '', ...head, ...checks.map(row), '', '</details>');
  }
  if (r.policies.length > 0) {
    out.push('', '<details>', `<summary>${r.policies.length} policy bindings evaluated</summary>`, '', '| Binding | Policy | Actions | From |', '|---|---|---|---|');
    for (const b of r.policies) out.push(`| ${cell(b.binding)} | ${cell(b.policy)} | ${b.actions.join(', ')} | ${cell(b.origin)} |`);
    out.push('', '</details>');
  }
  return out.join('\n') + '\n';
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The report as JSON (arrays sorted by the report, so equal reviews give equal bytes). */
export function formatJson(r: ReviewReport): string {
  return JSON.stringify(r, null, 2) + '\n';
}

// policy names are DNS subdomains: no `/`, so this rule id cannot collide with one
const RBAC_RULE = 'rbac/forbidden';

/** SARIF 2.1.0: one rule per policy, one result per violation (Deny = error, else warning), and a rule for changes RBAC forbids. */
export function formatSarif(r: ReviewReport): string {
  const forbidden = r.access?.checks.filter((c) => !c.allowed) ?? [];
  const rules = [...new Set(r.violations.map((v) => v.policy))].sort();
  if (forbidden.length > 0) rules.push(RBAC_RULE);
  const description = (id: string) => (id === RBAC_RULE ? `the deploying identity ${r.access?.subject.user} may not make the change` : `ValidatingAdmissionPolicy ${id}`);
  const result = (ruleId: string, level: 'error' | 'warning', text: string, properties: Record<string, unknown>, source: { file: string; line: number }) => ({
    ruleId,
    ruleIndex: rules.indexOf(ruleId),
    level,
    message: { text },
    properties,
    locations: [{ physicalLocation: { artifactLocation: { uri: source.file }, region: { startLine: Math.max(1, source.line) } } }],
  });
  const sarif = {
    $schema: 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'berth-review',
            informationUri: 'https://github.com/berth/berth',
            rules: rules.map((id) => ({ id, name: id, shortDescription: { text: description(id) } })),
          },
        },
        results: [
          ...r.violations.map((v) => result(v.policy, isDeny(v) ? 'error' : 'warning', `${v.object}: ${v.message}`, { object: v.object, binding: v.binding, actions: v.actions, origin: v.origin }, v.source)),
          ...forbidden.map((c) => result(RBAC_RULE, 'error', `${r.access?.subject.user} may not ${c.verb} ${c.object}: ${c.reason}`, { object: c.object, verb: c.verb, user: r.access?.subject.user }, c.source)),
        ],
      },
    ],
  };
  return JSON.stringify(sarif, null, 2) + '\n';
}

/** `r` in format `f`. */
export function format(r: ReviewReport, f: Format): string {
  switch (f) {
    case 'text':
      return formatText(r);
    case 'markdown':
      return formatMarkdown(r);
    case 'json':
      return formatJson(r);
    case 'sarif':
      return formatSarif(r);
  }
}
