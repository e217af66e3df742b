/**
 * `berth policy test [dir]` and `berth policy eval -f manifest.yaml [--policies dir]`: the policy
 * library's test cases, and each policy's verdict on a manifest's objects, offline — no server,
 * the same admission plugins the API server runs (src/policy/admission/offline.ts).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { LineCounter, parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../controlplane/resources/types.js';
import { admit, memoryStore } from '../../policy/admission/offline.js';
import { readPolicyLibrary, runPolicyTests } from '../../policy/library.js';

/** Columns padded kubectl-style: upper-case headers, three spaces between columns. */
function table(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  return all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('   ').trimEnd()).join('\n');
}

/** A manifest's objects with the line each starts on. */
function readManifest(file: string): { object: KubeObject; line: number }[] {
  const lineCounter = new LineCounter();
  return parseAllDocuments(readFileSync(file, 'utf8'), { lineCounter }).flatMap((d) => {
    if (d.errors.length) throw new Error(`${file}: ${d.errors[0].message}`);
    const object = d.toJS() as KubeObject | null;
    if (!object) return [];
    const items = object.kind?.endsWith('List') && Array.isArray(object.items) ? (object.items as KubeObject[]) : [object];
    return items.map((o) => ({ object: o, line: lineCounter.linePos(d.contents?.range[0] ?? d.range[0]).line }));
  });
}

/** The manifest's Namespaces, plus the ones its objects name (labelled as the API server labels them). */
function namespaces(objects: KubeObject[]): KubeObject[] {
  const declared = objects.filter((o) => o.kind === 'Namespace');
  const names = new Set(['default', ...objects.map((o) => o.metadata?.namespace).filter((n): n is string => !!n)]);
  for (const o of declared) names.delete(o.metadata?.name ?? '');
  return [...names].map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name } } }));
}

function describeObject(o: KubeObject): string {
  const ns = o.metadata?.namespace ? `${o.metadata.namespace}/` : '';
  return `${o.kind ?? '?'}/${ns}${o.metadata?.name ?? '?'}`;
}

async function test(dir: string): Promise<void> {
  const results = await runPolicyTests(dir);
  const rows = results.map((r) => [r.policy, r.case, r.expected.toUpperCase(), r.got.toUpperCase(), r.passed ? 'PASS' : 'FAIL', r.passed ? '' : r.detail]);
  console.log(table(['POLICY', 'CASE', 'EXPECTED', 'GOT', 'RESULT', 'REASON'], rows));
  const failed = results.filter((r) => !r.passed).length;
  console.log(`\n${results.length - failed} passed, ${failed} failed`);
  if (failed) process.exitCode = 1;
}

async function evaluate(file: string, dir: string): Promise<void> {
  const manifest = readManifest(file);
  const objects = manifest.map((m) => m.object);
  const context = [...objects, ...namespaces(objects)];
  const rows: string[][] = [];
  let failed = false;
  const library = readPolicyLibrary(dir).map((p) => ({ name: p.name, store: memoryStore([...p.policies, ...context]) }));
  for (const { object, line } of manifest) {
    for (const p of library) {
      let verdict: string;
      let message = '';
      try {
        const v = await admit(p.store, object);
        verdict = !v.allowed ? 'DENY' : v.warnings.length ? 'WARN' : JSON.stringify(v.object) !== JSON.stringify(object) ? 'MUTATE' : 'ALLOW';
        message = v.message ?? v.warnings.join('; ');
      } catch (e) {
        verdict = 'ERROR';
        message = (e as Error).message;
      }
      if (verdict === 'DENY' || verdict === 'ERROR') failed = true;
      rows.push([`${file}:${line}`, describeObject(object), p.name, verdict, message]);
    }
  }
  console.log(table(['LOCATION', 'OBJECT', 'POLICY', 'VERDICT', 'MESSAGE'], rows));
  if (failed) process.exitCode = 1;
}

/** Registers `berth policy test` and `berth policy eval`. */
export function register(program: Command): void {
  const policy = program.command('policy').description('test admission policies and evaluate manifests against them, offline');
  policy
    .command('test')
    .description("run every policy's test cases (tests.yaml) and print a pass/fail table; exit 1 on a failure")
    .argument('[dir]', 'the policy library', 'policies')
    .action(test);
  policy
    .command('eval')
    .description("print each policy's verdict for each object of a manifest; exit 1 on a denial")
    .requiredOption('-f, --filename <file>', 'the manifest (YAML, several documents)')
    .option('--policies <dir>', 'the policy library', 'policies')
    .action((o: { filename: string; policies: string }) => evaluate(o.filename, o.policies));
}
