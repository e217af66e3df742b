/** Table tests of the four formatters over fixed reports. */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../controlplane/resources/types.js';
import { format, FORMATS, formatJson, formatMarkdown, formatSarif, formatText } from './format.js';
import { buildReport, type PolicyViolation } from './report.js';

const cm = (name: string, x: string, file = `${name}.yaml`) => ({ object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'app' }, data: { x } } as KubeObject, source: { file, line: 2 } });
const deny: PolicyViolation = { policy: 'no-x', binding: 'no-x', actions: ['Deny'], object: 'v1/ConfigMap/app/b', message: 'x | y is <bad>', source: { file: 'b.yaml', line: 2 } };
const warn: PolicyViolation = { policy: 'prefer-y', binding: 'prefer-y', actions: ['Warn', 'Audit'], object: 'v1/ConfigMap/app/a', message: 'use y', source: { file: 'a.yaml', line: 0 } };

const failing = buildReport({ base: 'main', head: 'feat' }, [cm('a', '1'), cm('c', '1')], [cm('a', '2'), cm('b', '1')], [deny, warn]);
const clean = buildReport({ base: 'main', head: 'feat' }, [cm('a', '1')], [cm('a', '1')], []);

describe('formatText', () => {
  it.each([
    [failing, ['berth review main..feat: FAIL: 1 added, 1 changed, 1 removed; 1 denied, 1 warning/audit violation', '+ v1/ConfigMap/app/b (b.yaml:2)', '- v1/ConfigMap/app/c (c.yaml:2)', '~ v1/ConfigMap/app/a (a.yaml:2)', 'Deny no-x: v1/ConfigMap/app/b at b.yaml:2: x | y is <bad>', 'Warn+Audit prefer-y: v1/ConfigMap/app/a at a.yaml:0: use y']],
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
    expect(md).toContain('| Deny | no-x | `v1/ConfigMap/app/b` | `b.yaml:2` | x \\| y is <bad> |');
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
    expect(s.$schema).toMatch(/sarif-2\.1\.0/);
    expect(s.runs[0].tool.driver.rules.map((x) => x.id)).toEqual(rules);
    expect(s.runs[0].results.map((x) => [x.ruleId, x.level, x.locations[0].physicalLocation.artifactLocation.uri, x.locations[0].physicalLocation.region.startLine, x.ruleIndex])).toEqual(results);
  });
});

describe('format', () => {
  it.each(FORMATS.map((f) => [f]))('%s ends with a newline', (f) => expect(format(failing, f).endsWith('\n')).toBe(true));
});
