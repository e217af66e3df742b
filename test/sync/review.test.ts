/**
 * `berth review` end to end: a real repository made with the git CLI (main with two Deployments and
 * a ConfigMap; a feature branch that changes replicas, adds a Deployment with a `:latest` image and
 * removes the ConfigMap), reviewed through bin/berth.js in each output format.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lexer, marked, type Tokens } from 'marked';
import type { ReviewReport } from '../../src/sync/review/report.js';
import { sarifErrors } from '../harness/sarif.js';
import { startHttpReceiver } from '../harness/http-receiver.js';
import { startPolicyCluster, type PolicyCluster } from '../policy/harness.js';

const BERTH = join(import.meta.dirname, '../../bin/berth.js');

function deployment(name: string, image: string, replicas: number): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: shop
  labels: {app: ${name}, team: shop}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
      - name: ${name}
        image: ${image}
        readinessProbe: {httpGet: {path: /ready, port: 8080}}
        livenessProbe: {httpGet: {path: /live, port: 8080}}
        resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {memory: 128Mi}}
`;
}

const CONFIG = `apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop}
data: {mode: fast}
`;

const WARN_POLICY = `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: prefer-one-replica}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: ["apps"], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["deployments"]}
  validations:
  - expression: "object.spec.replicas <= 2"
    message: "more than 2 replicas"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: prefer-one-replica}
spec:
  policyName: prefer-one-replica
  validationActions: [Warn]
`;

// passes every library policy but disallow-privileged
const PRIVILEGED_POD = `apiVersion: v1
kind: Pod
metadata:
  name: debug
  namespace: shop
  labels: {app: debug, team: shop}
spec:
  containers:
  - name: debug
    image: busybox:1.36
    securityContext: {privileged: true}
    resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {memory: 32Mi}}
`;

let dir: string;
let policies: string;

async function berth(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)('node', [BERTH, ...args], { encoding: 'utf8' });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-review-'));
  policies = mkdtempSync(join(tmpdir(), 'berth-review-policies-'));
  const env = { ...process.env, GIT_AUTHOR_NAME: 'Ada', GIT_AUTHOR_EMAIL: 'ada@example.com', GIT_COMMITTER_NAME: 'Ada', GIT_COMMITTER_EMAIL: 'ada@example.com' };
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, env, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  writeFileSync(join(dir, 'web.yaml'), deployment('web', 'nginx:1.27', 2));
  writeFileSync(join(dir, 'config.yaml'), CONFIG);
  git('add', '-A');
  git('commit', '-q', '-m', 'main');
  git('checkout', '-q', '-b', 'feature');
  writeFileSync(join(dir, 'web.yaml'), deployment('web', 'nginx:1.27', 3));
  // the new Deployment is the second document, so its line is not 1
  writeFileSync(join(dir, 'api.yaml'), `# api\n${CONFIG.replace('settings', 'api-settings')}---\n${deployment('api', 'example/api:latest', 1)}`);
  unlinkSync(join(dir, 'config.yaml'));
  git('add', '-A');
  git('commit', '-q', '-m', 'feature');
  git('checkout', '-q', '-b', 'clean', 'main');
  writeFileSync(join(dir, 'web.yaml'), deployment('web', 'nginx:1.28', 2));
  git('commit', '-q', '-am', 'clean');
  git('checkout', '-q', '-b', 'risky', 'main');
  writeFileSync(join(dir, 'debug.yaml'), `${CONFIG.replace('settings', 'debug-settings')}---\n${PRIVILEGED_POD}`);
  writeFileSync(join(dir, 'worker.yaml'), `# the worker\n${CONFIG.replace('settings', 'worker-settings')}---\n---\n${deployment('worker', 'example/worker:latest', 1)}`);
  git('add', '-A');
  git('commit', '-q', '-m', 'risky');
  git('checkout', '-q', '-b', 'server-check', 'main');
  // a ConfigMap only the server's policy refuses, a Pod the deployer may not create, web on :latest
  // (the server binds disallow-latest-tag as Warn), and the settings ConfigMap removed
  writeFileSync(join(dir, 'cfg.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: shop}\ndata: {password: hunter2}\n');
  writeFileSync(join(dir, 'debug.yaml'), PRIVILEGED_POD.replace('    securityContext: {privileged: true}\n', ''));
  writeFileSync(join(dir, 'web.yaml'), deployment('web', 'nginx:latest', 2));
  unlinkSync(join(dir, 'config.yaml'));
  git('add', '-A');
  git('commit', '-q', '-m', 'server-check');
  git('checkout', '-q', '-b', 'broken', 'main');
  writeFileSync(join(dir, 'web.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [\n');
  git('commit', '-q', '-am', 'broken');
  git('checkout', '-q', 'main');
  writeFileSync(join(policies, 'warn-replicas.yaml'), WARN_POLICY);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(policies, { recursive: true, force: true });
});

// each case spawns the CLI (node + tsx) one to three times: generous on a loaded machine
describe('berth review', { timeout: 120_000 }, () => {
  it('reports added, changed and removed objects and the :latest Deny at file:line, exit 1 (json)', async () => {
    const r = await berth('review', '--repo', dir, '--base', 'main', '--head', 'feature', '-o', 'json');
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as ReviewReport;
    expect(report.added.map((o) => o.id)).toEqual(['apps/v1/Deployment/shop/api', 'v1/ConfigMap/shop/api-settings']);
    expect(report.changed.map((o) => o.id)).toEqual(['apps/v1/Deployment/shop/web']);
    expect(report.changed[0].diff).toMatch(/^-\s+replicas: 2$/m);
    expect(report.changed[0].diff).toMatch(/^\+\s+replicas: 3$/m);
    expect(report.removed.map((o) => o.id)).toEqual(['v1/ConfigMap/shop/settings']);
    const denies = report.violations.filter((v) => v.actions.includes('Deny'));
    expect(denies).toEqual([
      { policy: 'disallow-latest-tag', binding: 'disallow-latest-tag', actions: ['Deny'], object: 'apps/v1/Deployment/shop/api', message: 'the :latest tag is not allowed', source: { file: 'api.yaml', line: 7 }, origin: 'library' },
    ]);
    expect(report.passed).toBe(false);
    expect(report.summary).toMatch(/^FAIL: 2 added, 1 changed, 1 removed; 1 denied/);
  });

  it('prints a Markdown PR comment with a summary table and collapsible diffs', async () => {
    const r = await berth('review', '--repo', dir, '--base', 'main', '--head', 'feature', '-o', 'markdown');
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain('| Added | Changed | Removed | Unchanged | Denied | Warn/Audit |');
    expect(r.stdout).toMatch(/\| 2 \| 1 \| 1 \| 0 \| 1 \| 0 \|/);
    expect(r.stdout).toContain('<details>\n<summary><code>apps/v1/Deployment/shop/web</code>');
    expect(r.stdout).toContain('```diff');
    const diff = marked.parse(r.stdout, { async: false }).replace(/\n/g, ' ');
    expect(diff).toMatch(/<details>\s*<summary><code>apps\/v1\/Deployment\/shop\/web<\/code> \(web\.yaml:1\)<\/summary>\s*<pre><code class="language-diff">--- main web\.yaml/);
    expect(r.stdout).toContain('| Deny | disallow-latest-tag | `apps/v1/Deployment/shop/api` | `api.yaml:7` | the :latest tag is not allowed | library |');
  });

  it('prints SARIF 2.1.0 with ruleId = policy and file + startLine locations', async () => {
    const r = await berth('review', '--repo', dir, '--base', 'main', '--head', 'feature', '-o', 'sarif');
    expect(r.code, r.stderr).toBe(1);
    const sarif = JSON.parse(r.stdout) as { version: string; runs: { tool: { driver: { name: string; rules: { id: string }[] } }; results: { ruleId: string; level: string; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[] }[] }[] };
    expect(sarif.version).toBe('2.1.0');
    const run = sarif.runs[0];
    const latest = run.results.filter((x) => x.ruleId === 'disallow-latest-tag');
    expect(latest).toHaveLength(1);
    expect(latest[0].level).toBe('error');
    expect(latest[0].locations[0].physicalLocation).toEqual({ artifactLocation: { uri: 'api.yaml' }, region: { startLine: 7 } });
    expect(run.tool.driver.rules.map((x) => x.id)).toContain('disallow-latest-tag');
  });

  it('passes a clean branch with exit 0 (text)', async () => {
    const r = await berth('review', '--repo', dir, '--base', 'main', '--head', 'clean');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/PASS: 0 added, 1 changed, 0 removed; 0 denied/);
    expect(r.stdout).toContain('~ apps/v1/Deployment/shop/web (web.yaml:1)');
  });

  it('fails a branch adding a privileged pod and a :latest image with exactly those two violations at their file:line', async () => {
    const r = await berth('review', '--repo', dir, '--base', 'main', '--head', 'risky', '-o', 'json');
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as ReviewReport;
    // debug.yaml: a 4-line ConfigMap, `---` on line 5, the Pod from line 6; worker.yaml: a comment,
    // a 4-line ConfigMap, two `---` (an empty document between), the Deployment from line 8
    expect(report.violations.map((v) => [v.actions.join('+'), v.policy, v.object, v.message, `${v.source.file}:${v.source.line}`])).toEqual([
      ['Deny', 'disallow-latest-tag', 'apps/v1/Deployment/shop/worker', 'the :latest tag is not allowed', 'worker.yaml:8'],
      ['Deny', 'disallow-privileged', 'v1/Pod/shop/debug', 'privileged containers are not allowed', 'debug.yaml:6'],
    ]);
    expect(report.summary).toBe('FAIL: 4 added, 0 changed, 0 removed; 2 denied, 0 warning/audit violations');
  });

  it('renders the risky review as a readable Markdown comment: summary table, violations table with file:line', async () => {
    const r = await berth('review', '--repo', dir, '--base', 'main', '--head', 'risky', '-o', 'markdown');
    expect(r.code, r.stderr).toBe(1);
    const tokens = Lexer.lex(r.stdout);
    expect(tokens[0]).toMatchObject({ type: 'heading', depth: 3, text: '❌ berth review `main` → `risky`' });
    const tables = tokens.filter((t): t is Tokens.Table => t.type === 'table').map((t) => t.rows.map((row) => row.map((c) => c.text)));
    expect(tables[0]).toEqual([['4', '0', '0', '2', '2', '0']]);
    expect(tables[1].map((row) => [row[1], row[3]])).toEqual([
      ['disallow-latest-tag', '`worker.yaml:8`'],
      ['disallow-privileged', '`debug.yaml:6`'],
    ]);
    const html = marked.parse(r.stdout, { async: false });
    expect(html).toContain('<td><code>debug.yaml:6</code></td>');
    expect(html).toMatch(/<details>\s*<summary>\d+ policy bindings evaluated<\/summary>/);
  });

  it('writes SARIF that validates against the SARIF 2.1.0 schema, for failing and clean reviews', async () => {
    for (const head of ['risky', 'feature', 'clean']) {
      const r = await berth('review', '--repo', dir, '--base', 'main', '--head', head, '-o', 'sarif');
      expect(sarifErrors(JSON.parse(r.stdout)), head).toEqual([]);
    }
  });

  it('lists a Warn violation from the --policies directory, not counted as denied', async () => {
    const r = await berth('review', '--repo', dir, '--base', 'main', '--head', 'feature', '--policies', policies, '-o', 'json');
    const report = JSON.parse(r.stdout) as ReviewReport;
    expect(report.violations.filter((v) => v.policy === 'prefer-one-replica')).toEqual([
      { policy: 'prefer-one-replica', binding: 'prefer-one-replica', actions: ['Warn'], object: 'apps/v1/Deployment/shop/web', message: 'more than 2 replicas', source: { file: 'web.yaml', line: 1 }, origin: policies },
    ]);
    expect(report.summary).toMatch(/1 denied, 1 warning\/audit violation$/);
    expect(r.code).toBe(1);
  });

  it('exits 2 with file:line when the head does not render', async () => {
    const r = await berth('review', '--repo', dir, '--base', 'main', '--head', 'broken');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/web\.yaml:\d+/);
  });

  it('exits 2 on a revision that does not exist', async () => {
    const r = await berth('review', '--repo', dir, '--base', 'main', '--head', 'nope', '-o', 'json');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/revision "nope" not found/);
  });

  it('exits 2 on a bad repository', async () => {
    const r = await berth('review', '--repo', join(dir, 'missing'), '--base', 'main', '--head', 'feature');
    expect(r.code).toBe(2);
  });
});

const SERVER_POLICIES = `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: no-passwords-in-configmaps}
spec:
  paramKind: {apiVersion: v1, kind: ConfigMap}
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["configmaps"]}
  validations:
  - expression: "!has(object.data) || !params.data.keys.split(',').exists(k, k in object.data)"
    message: "ConfigMaps must not hold passwords"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: no-passwords-in-configmaps}
spec:
  policyName: no-passwords-in-configmaps
  validationActions: [Deny]
  # only the server has this ConfigMap: no violation unless the review fetches it
  paramRef: {name: forbidden-keys, namespace: kube-system, parameterNotFoundAction: Allow}
---
apiVersion: v1
kind: Namespace
metadata: {name: kube-system}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: forbidden-keys, namespace: kube-system}
data: {keys: "password,secret"}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: disallow-latest-tag}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: ["apps"], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["deployments"]}
  validations:
  - expression: "object.spec.template.spec.containers.all(c, !c.image.endsWith(':latest'))"
    message: "on this cluster :latest is only a warning"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: disallow-latest-tag}
spec: {policyName: disallow-latest-tag, validationActions: [Warn]}
`;

// the reviewer (from the tokens file) may ask the server; the deployers group may write ConfigMaps
// and Deployments in shop, not Pods
const RBAC = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: berth-reviewer}
rules:
- {apiGroups: [authorization.k8s.io], resources: [subjectaccessreviews], verbs: [create]}
- {apiGroups: [admissionregistration.k8s.io], resources: [validatingadmissionpolicies, validatingadmissionpolicybindings, mutatingadmissionpolicies, mutatingadmissionpolicybindings], verbs: [list]}
- {apiGroups: [""], resources: [configmaps], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: berth-reviewer}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: berth-reviewer}
subjects: [{kind: User, name: reviewer, apiGroup: rbac.authorization.k8s.io}]
---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: deploy, namespace: shop}
rules:
- {apiGroups: [""], resources: [configmaps], verbs: [create, update, delete]}
- {apiGroups: [apps], resources: [deployments], verbs: [create, update, delete]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: deploy, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deploy}
subjects: [{kind: Group, name: deployers, apiGroup: rbac.authorization.k8s.io}]
`;

describe('berth review --server --as: the live server policies and RBAC', { timeout: 120_000 }, () => {
  const REVIEWER = 'reviewer-token-0123456789';
  let c: PolicyCluster;
  let kubeconfig: string;
  beforeAll(async () => {
    c = await startPolicyCluster({ [REVIEWER]: { user: 'reviewer', groups: ['reviewers'] } });
    const r = await c.kubectl(['apply', '-f', '-'], { input: `${SERVER_POLICIES}---\n${RBAC}` });
    expect(r.code, r.stderr).toBe(0);
    // the review runs as the reviewer: the admin kubeconfig with the reviewer's token
    kubeconfig = join(c.dir, 'reviewer.kubeconfig');
    writeFileSync(kubeconfig, readFileSync(join(c.dir, 'kubeconfig'), 'utf8').replace(c.adminToken, REVIEWER));
  }, 120_000);
  afterAll(async () => {
    await c?.stop();
  });

  it('evaluates the server policies with the library (deduped by name, saying where each came from) and fails what RBAC forbids', async () => {
    const r = await berth('review', '--repo', dir, '--base', 'main', '--head', 'server-check', '--kubeconfig', kubeconfig, '--server', c.api.url, '--as', 'dana', '--as-group', 'deployers', '-o', 'json');
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as ReviewReport;
    const server = `server ${c.api.url}`;
    expect(report.violations.map((v) => [v.actions.join('+'), v.policy, v.object, v.message, `${v.source.file}:${v.source.line}`, v.origin])).toEqual([
      ['Warn', 'disallow-latest-tag', 'apps/v1/Deployment/shop/web', 'on this cluster :latest is only a warning', 'web.yaml:1', server],
      ['Deny', 'no-passwords-in-configmaps', 'v1/ConfigMap/shop/cfg', 'ConfigMaps must not hold passwords', 'cfg.yaml:1', server],
    ]);
    const origins = new Map(report.policies.map((p) => [p.binding, p.origin]));
    expect(origins.get('disallow-latest-tag')).toBe(server);
    expect(origins.get('disallow-privileged')).toBe('library');
    expect(report.access!.subject).toEqual({ user: 'dana', groups: ['deployers'] });
    expect(report.access!.checks.map((x) => [x.verb, x.object, x.allowed, `${x.source.file}:${x.source.line}`])).toEqual([
      ['update', 'apps/v1/Deployment/shop/web', true, 'web.yaml:1'],
      ['create', 'v1/ConfigMap/shop/cfg', true, 'cfg.yaml:1'],
      ['delete', 'v1/ConfigMap/shop/settings', true, 'config.yaml:1'],
      ['create', 'v1/Pod/shop/debug', false, 'debug.yaml:1'],
    ]);
    expect(report.summary).toBe('FAIL: 2 added, 1 changed, 1 removed; 1 denied, 1 warning/audit violation; RBAC for dana: 1 of 4 forbidden');
  });

  it('reports the RBAC denial in Markdown and as a SARIF result that validates', async () => {
    const args = ['review', '--repo', dir, '--base', 'main', '--head', 'server-check', '--kubeconfig', kubeconfig, '--as', 'dana', '--as-group', 'deployers'];
    const md = await berth(...args, '-o', 'markdown');
    expect(md.code, md.stderr).toBe(1);
    const forbidden = Lexer.lex(md.stdout).filter((t): t is Tokens.Table => t.type === 'table').find((t) => t.header[0].text === 'RBAC')!;
    expect(forbidden.rows.map((row) => row.map((x) => x.text).slice(0, 4))).toEqual([['**forbidden**', 'create', '`v1/Pod/shop/debug`', '`debug.yaml:1`']]);
    const sarif = await berth(...args, '-o', 'sarif');
    const log = JSON.parse(sarif.stdout) as { runs: { results: { ruleId: string; level: string }[] }[] };
    expect(sarifErrors(log)).toEqual([]);
    expect(log.runs[0].results.filter((x) => x.ruleId === 'rbac/forbidden').map((x) => x.level)).toEqual(['error']);
  });

  it('passes a clean change the deployer may make, and posts pending then success for the head commit', async () => {
    const rx = await startHttpReceiver();
    try {
      const r = await berth('review', '--repo', dir, '--base', 'main', '--head', 'clean', '--kubeconfig', kubeconfig, '--as', 'dana', '--as-group', 'deployers', '--status-url', rx.url, '--status-format', 'gitea', '--status-repository', 'shop/web', '--status-token', 'tea');
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(r.stdout).toMatch(/RBAC for dana: 0 of 1 forbidden/);
      expect(r.stdout).toContain('  allowed update apps/v1/Deployment/shop/web (web.yaml:1)');
      const sha = execFileSync('git', ['rev-parse', 'clean'], { cwd: dir, encoding: 'utf8' }).trim();
      expect(rx.requests.map((q) => [q.url, q.headers.authorization, JSON.parse(q.body).state, JSON.parse(q.body).context])).toEqual([
        [`/repos/shop/web/statuses/${sha}`, 'token tea', 'pending', 'berth/review'],
        [`/repos/shop/web/statuses/${sha}`, 'token tea', 'success', 'berth/review'],
      ]);
      expect(JSON.parse(rx.requests[1].body).description).toMatch(/^PASS: 0 added, 1 changed/);
    } finally {
      await rx.close();
    }
  });

  it('exits 2 naming the server when it cannot be reached', async () => {
    const r = await berth('review', '--repo', dir, '--base', 'main', '--head', 'clean', '--kubeconfig', join(c.dir, 'kubeconfig'), '--server', 'https://127.0.0.1:1');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/berth review: .*127\.0\.0\.1:1/);
  });
});
