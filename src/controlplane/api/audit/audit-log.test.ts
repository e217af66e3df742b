import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiRequest, ApiResponse, StreamSink } from '../request.js';
import { AuditLog, type AuditEvent } from './audit-log.js';
import type { AuditPolicy } from './audit-policy.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function logWith(policy: AuditPolicy): AuditLog {
  const dir = mkdtempSync(join(tmpdir(), 'berth-audit-unit-'));
  dirs.push(dir);
  return new AuditLog(join(dir, 'audit.log'), policy);
}

const lines = (log: AuditLog) => readFileSync(log.path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditEvent);
const user = { username: 'alice', groups: ['dev'] };
const request = (o: Partial<ApiRequest> = {}): ApiRequest => ({ method: 'GET', path: '/api/v1/namespaces/shop/pods', query: new URLSearchParams('watch=true'), headers: { 'user-agent': 'test' }, ...o });

describe('audit log events', () => {
  it('writes RequestReceived when not omitted, ResponseStarted for a watch and ResponseComplete when its stream ends', async () => {
    const log = logWith({ rules: [{ level: 'Metadata' }] });
    const audit = log.begin(request());
    audit.attributes({ user, verb: 'watch', group: '', version: 'v1', resource: 'pods', namespace: 'shop', resourceRequest: true });
    audit.authorized(true, 'RBAC: allowed');
    const sent: string[] = [];
    let ended = false;
    const res = audit.finish({ status: 200, headers: {}, stream: (sink: StreamSink) => (sink.write('{"type":"ADDED"}'), sink.end(), () => {}) } as ApiResponse);
    expect(res.headers['audit-id']).toBe(audit.id);
    res.stream!({ write: (c) => (sent.push(c), true), end: () => (ended = true) });
    expect(sent).toEqual(['{"type":"ADDED"}']);
    expect(ended).toBe(true);
    await log.close();
    const events = lines(log);
    expect(events.map((e) => e.stage)).toEqual(['RequestReceived', 'ResponseStarted', 'ResponseComplete']);
    expect(new Set(events.map((e) => e.auditID))).toEqual(new Set([audit.id]));
    expect(events[0].annotations).toBeUndefined();
    expect(events[2]).toMatchObject({ verb: 'watch', requestURI: '/api/v1/namespaces/shop/pods?watch=true', objectRef: { resource: 'pods', namespace: 'shop', apiVersion: 'v1' }, responseStatus: { code: 200 }, annotations: { 'authorization.k8s.io/decision': 'allow' } });
  });

  it('records a request refused before authentication (401) with the policy applied to what is known', async () => {
    const log = logWith({ rules: [{ level: 'Metadata' }] });
    log.begin(request({ query: new URLSearchParams() })).finish({ status: 401, headers: {}, body: JSON.stringify({ kind: 'Status', status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 }) });
    await log.close();
    expect(lines(log)).toMatchObject([{ stage: 'ResponseComplete', verb: 'get', user: { username: '' }, responseStatus: { code: 401, reason: 'Unauthorized', message: 'Unauthorized' } }]);
  });

  it('writes nothing at level None', async () => {
    const log = logWith({ rules: [{ level: 'None' }] });
    const audit = log.begin(request());
    audit.attributes({ user, verb: 'get', resourceRequest: true, resource: 'pods' });
    audit.finish({ status: 200, headers: {}, body: '{}' });
    await log.close();
    expect(readFileSync(log.path, 'utf8')).toBe('');
  });
});
