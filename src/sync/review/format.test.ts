/** Table tests of the four formatters over fixed reports. */
import { Lexer, marked, type Tokens } from 'marked';
import { describe, expect, it } from 'vitest';
import { sarifErrors } from '../../../test/harness/sarif.js';
import type { KubeObject } from '../../controlplane/resources/types.js';
import { format, FORMATS, formatJson, formatMarkdown, formatSarif, formatText } from './format.js';
import { buildReport, type PolicyViolation } from './report.js';

const cm = (name: string, x: string, file = `${name}.yaml`) => ({ object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'app' }, data: { x } } as KubeObject, source: { file, line: 2 } });
const deny: PolicyViolation = { policy: 'no-x', binding: 'no-x', actions: ['Deny'], object: 'v1/ConfigMap/app/b', message: 'x | y is <bad>', source: { file: 'b.yaml', line: 2 }, origin: 'library' };
const warn: PolicyViolation = { policy: 'prefer-y', binding: 'prefer-y', actions: ['Warn', 'Audit'], object: 'v1/ConfigMap/app/a', message: 'use y', source: { file: 'a.yaml', line: 0 }, origin: 'library' };

const failing = buildReport({ base: 'main', head: 'feat' }, [cm('a', '1'), cm('c', '1')], [cm('a', '2'), cm('b', '1')], [deny, warn]);
const clean = buildReport({ base: 'main', head: 'feat' }, [cm('a', '1')], [cm('a', '1')], []);

describe('formatText', () => {
  it.each([
    [failing, ['berth review main..feat: FAIL: 1 added, 1 changed, 1 removed; 1 denied, 1 warning/audit violation', '+ v1/ConfigMap/app/b (b.yaml:2)', '- v1/ConfigMap/app/c (c.yaml:2)', '~ v1/ConfigMap/app/a (a.yaml:2)', 'Deny no-x [library]: v1/ConfigMap/app/b at b.yaml:2: x | y is <bad>', 'Warn+Audit prefer-y [library]: v1/ConfigMap/app/a at a.yaml:0: use y']],
    [clean, ['berth review main..feat: PASS: 0 added, 0 changed, 0 removed; 0 denied, 0 warning/audit violations']],
  ])('%#', (r, lines) => {
    const out = formatText(r).split('\n');
    for (const l of lines) expect(out).toContain(l);
  });
});

describe('formatMarkdown', () => {
  it('has a summary table, collapsible diffs and an escaped violations table', () => {
    const md = formatMarkdown(failing);
    expect(md).toMatch(/^### ❌ berth review `main` → `feat`/);
    expect(md).toContain('| 1 | 1 | 1 | 0 | 1 | 1 |');
    expect(md).toContain('<details>\n<summary><code>v1/ConfigMap/app/a</code> (a.yaml:2)</summary>\n\n```diff\n--- main a.yaml');
    expect(md).toContain('| Deny | no-x | `v1/ConfigMap/app/b` | `b.yaml:2` | x \\| y is &lt;bad&gt; | library |');
    expect(md).toContain('| Warn+Audit | prefer-y |');
  });
  it('shows a passing review without sections it has nothing for', () => {
    const md = formatMarkdown(clean);
    expect(md).toMatch(/^### ✅/);
    expect(md).not.toContain('<details>');
    expect(md).not.toContain('Policy violations');
  });
});

describe('formatJson', () => {
  it('is the report, stable across runs', () => {
    expect(JSON.parse(formatJson(failing))).toEqual(failing);
    expect(formatJson(failing)).toBe(formatJson(buildReport({ base: 'main', head: 'feat' }, [cm('c', '1'), cm('a', '1')], [cm('b', '1'), cm('a', '2')], [warn, deny])));
  });
});

describe('formatSarif', () => {
  it.each([
    [failing, ['no-x', 'prefer-y'], [['prefer-y', 'warning', 'a.yaml', 1, 1], ['no-x', 'error', 'b.yaml', 2, 0]]],
    [clean, [], []],
  ])('%#: rules and results', (r, rules, results) => {
    const s = JSON.parse(formatSarif(r)) as {
      version: string;
      $schema: string;
      runs: { tool: { driver: { name: string; rules: { id: string }[] } }; results: { ruleId: string; ruleIndex: number; level: string; message: { text: string }; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[] }[] }[];
    };
    expect(s.version).toBe('2.1.0');
    expect(s.$schema).toMatch(/\/sarif-schema-2\.1\.0\.json$/);
    expect(s.runs[0].tool.driver.rules.map((x) => x.id)).toEqual(rules);
    expect(s.runs[0].results.map((x) => [x.ruleId, x.level, x.locations[0].physicalLocation.artifactLocation.uri, x.locations[0].physicalLocation.region.startLine, x.ruleIndex])).toEqual(results);
  });
});

describe('formatSarif against the SARIF 2.1.0 schema', () => {
  it.each([['failing', failing], ['clean', clean]])('%s validates', (_, r) => expect(sarifErrors(JSON.parse(formatSarif(r)))).toEqual([]));
  it.each([
    ['a level SARIF does not have', (s: SarifLike) => (s.runs[0].results[0].level = 'fatal')],
    ['a line before the first', (s: SarifLike) => (s.runs[0].results[0].locations[0].physicalLocation.region.startLine = 0)],
    ['no version', (s: SarifLike) => delete (s as { version?: string }).version],
  ])('the validator refuses %s', (_, spoil) => {
    const s = JSON.parse(formatSarif(failing)) as SarifLike;
    spoil(s);
    expect(sarifErrors(s)).not.toEqual([]);
  });
});

type SarifLike = { version: string; runs: { results: { level: string; locations: { physicalLocation: { region: { startLine: number } } }[] }[] }[] };

describe('formatMarkdown rendered by a Markdown library', () => {
  const tokens = (md: string) => Lexer.lex(md);
  const tables = (md: string) => tokens(md).filter((t): t is Tokens.Table => t.type === 'table');

  it('renders the summary and violations as tables, each changed object as a details block with a diff', () => {
    const md = formatMarkdown(failing);
    const [summary, violations, policies] = tables(md);
    expect(summary.header.map((h) => h.text)).toEqual(['Added', 'Changed', 'Removed', 'Unchanged', 'Denied', 'Warn/Audit']);
    expect(summary.rows.map((r) => r.map((c) => c.text))).toEqual([['1', '1', '1', '0', '1', '1']]);
    expect(violations.header.map((h) => h.text)).toEqual(['Action', 'Policy', 'Object', 'Location', 'Message', 'From']);
    // the escaped pipe stays inside its cell: six columns in every row
    expect(violations.rows.map((r) => r.map((c) => c.text))).toEqual([
      ['Warn+Audit', 'prefer-y', '`v1/ConfigMap/app/a`', '`a.yaml:0`', 'use y', 'library'],
      ['Deny', 'no-x', '`v1/ConfigMap/app/b`', '`b.yaml:2`', 'x | y is &lt;bad&gt;', 'library'],
    ]);
    expect(policies).toBeUndefined(); // this report evaluated no binding list

    const html = marked.parse(md, { async: false });
    const doc = html.replace(/\n/g, ' ');
    expect(doc).toMatch(/<details>\s*<summary><code>v1\/ConfigMap\/app\/a<\/code> \(a\.yaml:2\)<\/summary>\s*<pre><code class="language-diff">--- main a\.yaml/);
    expect(doc).toContain('</code></pre> </details>');
    // the message's markup is text, not HTML
    expect(html).toContain('x | y is &lt;bad&gt;');
    expect(html).toMatch(/<h3>❌ berth review <code>main<\/code> → <code>feat<\/code><\/h3>/);
  });

  it('lists the bindings evaluated and where each came from in a details block', () => {
    const r = buildReport({ base: 'main', head: 'feat' }, [], [], [], [{ binding: 'no-x', policy: 'no-x', actions: ['Deny'], origin: 'server https://127.0.0.1:6443' }]);
    const [, policies] = tables(formatMarkdown(r));
    expect(policies.rows.map((row) => row.map((c) => c.text))).toEqual([['no-x', 'no-x', 'Deny', 'server https://127.0.0.1:6443']]);
    expect(marked.parse(formatMarkdown(r), { async: false })).toMatch(/<details>\s*<summary>1 policy bindings evaluated<\/summary>/);
  });
});

describe('RBAC in each format', () => {
  const withAccess = buildReport({ base: 'main', head: 'feat' }, [cm('a', '1')], [cm('a', '2'), cm('b', '1')], [], [], {
    subject: { user: 'dana', groups: ['deployers'] },
    checks: [
      { object: 'v1/ConfigMap/app/a', verb: 'update', allowed: true, reason: 'allowed', source: { file: 'a.yaml', line: 2 } },
      { object: 'v1/ConfigMap/app/b', verb: 'create', allowed: false, reason: 'dana may not create configmaps', source: { file: 'b.yaml', line: 2 } },
    ],
  });
  it('text lists every check, the forbidden ones with their reason', () => {
    const out = formatText(withAccess).split('\n');
    expect(out).toContain('RBAC as dana:');
    expect(out).toContain('  allowed update v1/ConfigMap/app/a (a.yaml:2)');
    expect(out).toContain('  FORBIDDEN create v1/ConfigMap/app/b (b.yaml:2): dana may not create configmaps');
  });
  it('Markdown has a table of the forbidden changes and all checks in a details block', () => {
    const md = formatMarkdown(withAccess);
    const rbac = Lexer.lex(md).filter((t): t is Tokens.Table => t.type === 'table' && t.header[0].text === 'RBAC');
    expect(rbac.map((t) => t.rows.length)).toEqual([1, 2]);
    expect(md).toContain('#### RBAC as `dana` (groups `deployers`)');
    expect(marked.parse(md, { async: false })).toMatch(/<details>\s*<summary>all 2 checks<\/summary>/);
  });
  it('SARIF has an rbac/forbidden error per forbidden change, and validates', () => {
    const s = JSON.parse(formatSarif(withAccess)) as { runs: { tool: { driver: { rules: { id: string }[] } }; results: { ruleId: string; ruleIndex: number; level: string }[] }[] };
    expect(sarifErrors(s)).toEqual([]);
    expect(s.runs[0].tool.driver.rules.map((r) => r.id)).toEqual(['rbac/forbidden']);
    expect(s.runs[0].results.map((r) => [r.ruleId, r.ruleIndex, r.level])).toEqual([['rbac/forbidden', 0, 'error']]);
  });
});

describe('format', () => {
  it.each(FORMATS.map((f) => [f]))('%s ends with a newline', (f) => expect(format(failing, f).endsWith('\n')).toBe(true));
});
