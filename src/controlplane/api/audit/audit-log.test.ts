import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiRequest, ApiResponse, StreamSink } from '../request.js';
import { AuditLog, backupName, type AuditEvent } from './audit-log.js';
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
    res.stream!({ write: (c) => (sent.push(String(c)), true), end: () => (ended = true) });
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

describe('audit log rotation', () => {
  const event = (i: number): AuditEvent => ({ kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'Metadata', auditID: `id-${i}`, stage: 'ResponseComplete', requestURI: '/api', verb: 'get', user: { username: 'alice' }, requestReceivedTimestamp: '', stageTimestamp: '' });

  it('names backups as lumberjack does, beside the file', () => {
    expect(backupName('/var/log/audit.log', new Date('2026-11-22T08:05:09.042Z'))).toBe('/var/log/audit-2026-11-22T08-05-09.042.log');
  });

  it('moves the file aside before it passes maxsize, keeps maxbackup backups and loses no event', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-audit-rotate-'));
    dirs.push(dir);
    const path = join(dir, 'audit.log');
    const line = JSON.stringify(event(0)).length + 1;
    // about three events a file; each batch is flushed (and rotation decided) at once
    const log = new AuditLog(path, { rules: [] }, { maxSizeBytes: line * 3 + 10, maxBackups: 2, maxAgeDays: 0 });
    for (let i = 0; i < 20; i++) {
      log.write(event(i));
      await new Promise((r) => setTimeout(r, 60));
    }
    await log.close();
    const backups = readdirSync(dir).filter((f) => f !== 'audit.log').sort();
    expect(backups).toHaveLength(2);
    for (const f of backups) expect(f).toMatch(/^audit-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{3}\.log$/);
    const files = [...backups, 'audit.log'].map((f) => readFileSync(join(dir, f), 'utf8'));
    for (const text of files) expect(text.length).toBeLessThanOrEqual(line * 3 + 10);
    // the newest events are all there, in order, across the kept files
    const ids = files.flatMap((t) => t.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as AuditEvent).auditID));
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, k) => `id-${20 - ids.length + k}`));
    expect(ids.length).toBeGreaterThanOrEqual(7);
  });

  it('removes backups older than maxage days', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-audit-age-'));
    dirs.push(dir);
    const path = join(dir, 'audit.log');
    const old = backupName(path, new Date(Date.now() - 3 * 86_400_000));
    const recent = backupName(path, new Date(Date.now() - 86_400_000));
    writeFileSync(old, 'old\n');
    writeFileSync(recent, 'recent\n');
    writeFileSync(join(dir, 'other.log'), 'not ours\n');
    writeFileSync(path, 'x'.repeat(100));
    const log = new AuditLog(path, { rules: [] }, { maxSizeBytes: 100, maxBackups: 0, maxAgeDays: 2 });
    log.write(event(1));
    await log.close();
    expect(existsSync(old)).toBe(false);
    expect(existsSync(recent)).toBe(true);
    expect(existsSync(join(dir, 'other.log'))).toBe(true);
    expect(readFileSync(path, 'utf8')).toContain('"id-1"');
  });
});
