/**
 * The audit log through the real API server, as kubectl users see it: an audit Policy file decides
 * what is logged at which level; each entry is an audit.k8s.io/v1 Event with the user, verb,
 * object, response code, the authorization decision, and the annotations admission policies add
 * (auditAnnotations, Audit-action failures).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog, type AuditEvent } from '../../src/controlplane/api/audit/audit-log.js';
import { loadAuditPolicy } from '../../src/controlplane/api/audit/audit-policy.js';
import { startPolicyCluster, type PolicyCluster } from './harness.js';

let c: PolicyCluster;
let dir: string;
let logFile: string;
const DEV = 'dev-token-0123456789';

const POLICY = `
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: None
  users: [system:berth-policy, system:apiserver]
- level: None
  nonResourceURLs: ["/api*", "/openapi*", "/version"]
- level: RequestResponse
  resources: [{group: "", resources: [configmaps]}]
- level: Metadata
`;

const VAP = JSON.stringify({
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingAdmissionPolicy',
  metadata: { name: 'owner-audit' },
  spec: {
    matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps'] }] },
    validations: [{ expression: 'has(object.data) && "owner" in object.data', message: 'configmaps should name an owner' }],
    auditAnnotations: [{ key: 'keys', valueExpression: "'keys: ' + string(size(object.data))" }],
  },
}) + JSON.stringify({
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingAdmissionPolicyBinding',
  metadata: { name: 'owner-audit-binding' },
  spec: { policyName: 'owner-audit', validationActions: ['Audit'] },
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-audit-'));
  writeFileSync(join(dir, 'policy.yaml'), POLICY);
  logFile = join(dir, 'audit.log');
  c = await startPolicyCluster({ [DEV]: { user: 'dana', groups: ['team-a'] } }, { auditLog: new AuditLog(logFile, loadAuditPolicy(join(dir, 'policy.yaml'))) });
}, 120_000);
afterAll(async () => {
  await c?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const ok = (args: string[], input?: string) => c.kubectlOk(args, { input });

function events(): AuditEvent[] {
  if (!existsSync(logFile)) return [];
  return readFileSync(logFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditEvent);
}

/** Waits for the entry `pick` finds (lines are written after the response). */
async function entry(pick: (e: AuditEvent) => boolean): Promise<AuditEvent> {
  await expect.poll(() => events().some(pick), { timeout: 30_000, interval: 200 }).toBe(true);
  return events().find(pick)!;
}

describe('audit log', () => {
  it('records a create at RequestResponse with the decision, the latency and the policy annotations', async () => {
    await ok(['apply', '-f', '-'], VAP);
    // the policy reaches the cache through a watch: retry until the annotation shows up
    await expect
      .poll(async () => {
        const name = `cm-${Math.random().toString(36).slice(2, 8)}`;
        await ok(['create', 'configmap', name, '--from-literal=a=1', '--from-literal=b=2']);
        const e = await entry((x) => x.verb === 'create' && x.objectRef?.name === name);
        return e.annotations?.['owner-audit/keys'];
      }, { timeout: 60_000, interval: 500 })
      .toBe('keys: 2');
    const e = events().filter((x) => x.verb === 'create' && x.objectRef?.resource === 'configmaps').at(-1)!;
    expect(e).toMatchObject({
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'RequestResponse',
      stage: 'ResponseComplete',
      user: { username: 'berth-admin', groups: ['system:masters', 'system:authenticated'] },
      objectRef: { resource: 'configmaps', namespace: 'default', apiVersion: 'v1' },
      responseStatus: { code: 201 },
      requestObject: { kind: 'ConfigMap', data: { a: '1', b: '2' } },
      responseObject: { kind: 'ConfigMap', metadata: { namespace: 'default' } },
    });
    expect(e.userAgent).toMatch(/^kubectl/);
    expect(e.sourceIPs).toEqual(['127.0.0.1']);
    expect(e.annotations?.['authorization.k8s.io/decision']).toBe('allow');
    expect(e.annotations?.['authorization.k8s.io/reason']).toBe('user is in group "system:masters"');
    expect(e.annotations?.['apiserver.latency.k8s.io/total']).toMatch(/^\d+\.\d{3}ms$/);
    expect(JSON.parse(e.annotations?.['validation.policy.admission.k8s.io/validation_failure'] ?? '[]')).toEqual([
      { message: 'configmaps should name an owner', policy: 'owner-audit', binding: 'owner-audit-binding', expressionIndex: 0, validationActions: ['Audit'] },
    ]);
    expect(Date.parse(e.stageTimestamp)).toBeGreaterThanOrEqual(Date.parse(e.requestReceivedTimestamp));
  }, 120_000);

  it('records a forbidden request of another user at Metadata, without bodies', async () => {
    const r = await c.kubectl(['get', 'secret', 'db', '-n', 'default'], { token: DEV });
    expect(r.stderr).toContain('forbidden');
    const e = await entry((x) => x.user.username === 'dana' && x.objectRef?.resource === 'secrets');
    expect(e).toMatchObject({ level: 'Metadata', verb: 'get', user: { username: 'dana', groups: ['team-a', 'system:authenticated'] }, objectRef: { resource: 'secrets', namespace: 'default', name: 'db' }, responseStatus: { code: 403, reason: 'Forbidden', status: 'Failure' } });
    expect(e.responseStatus?.message).toContain('User "dana" cannot get resource "secrets"');
    expect(e.annotations?.['authorization.k8s.io/decision']).toBe('forbid');
    expect(e.requestObject).toBeUndefined();
    expect(e.responseObject).toBeUndefined();
  }, 120_000);

  it('leaves out what the policy says (users, URLs, the RequestReceived stage)', async () => {
    await ok(['get', 'pods', '-n', 'default']);
    await entry((x) => x.verb === 'list' && x.objectRef?.resource === 'pods');
    const all = events();
    expect(all.filter((x) => x.user.username === 'system:berth-policy')).toEqual([]);
    expect(all.filter((x) => x.requestURI.startsWith('/api') && !x.objectRef)).toEqual([]);
    expect(new Set(all.map((x) => x.stage))).not.toContain('RequestReceived');
    expect(all.find((x) => x.verb === 'list' && x.objectRef?.resource === 'pods')).toMatchObject({ level: 'Metadata', responseStatus: { code: 200 } });
  }, 120_000);
});
