/**
 * The audit-log flags `berth up` and `berth apiserver` share, with kube-apiserver's names and
 * meanings, and the AuditLog they ask for (docs/audit.md).
 */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { AuditLog } from '../controlplane/api/audit/audit-log.js';
import { DEFAULT_AUDIT_POLICY, loadAuditPolicy } from '../controlplane/api/audit/audit-policy.js';
import { intArg } from './main.js';

export interface AuditFlags {
  auditLog?: string;
  auditPolicy?: string;
  /** megabytes */
  auditLogMaxsize: number;
  auditLogMaxbackup: number;
  /** days */
  auditLogMaxage: number;
}

export function addAuditFlags(cmd: Command): Command {
  return cmd
    .option('--audit-log <file>', 'write an audit log (JSON lines, audit.k8s.io/v1 Events) here; off unless this or --audit-policy is given')
    .option('--audit-policy <file>', 'an audit Policy (audit.k8s.io/v1) saying what to log; default: every request at Metadata; the log goes to <data-dir>/audit.log unless --audit-log')
    .option('--audit-log-maxsize <MB>', 'rotate the audit log before it passes this many megabytes (0: never)', intArg('--audit-log-maxsize', 0), 100)
    .option('--audit-log-maxbackup <n>', 'rotated audit logs to keep (0: all)', intArg('--audit-log-maxbackup', 0), 10)
    .option('--audit-log-maxage <days>', 'remove rotated audit logs older than this (0: never)', intArg('--audit-log-maxage', 0), 0);
}

/**
 * The audit log the flags ask for: off unless --audit-log or --audit-policy is given; the file
 * defaults to <data-dir>/audit.log, the policy to every request at Metadata.
 */
export function auditLogOf(dataDir: string, f: AuditFlags): AuditLog | undefined {
  if (!f.auditLog && !f.auditPolicy) return undefined;
  return new AuditLog(resolve(f.auditLog ?? join(dataDir, 'audit.log')), f.auditPolicy ? loadAuditPolicy(f.auditPolicy) : DEFAULT_AUDIT_POLICY, {
    maxSizeBytes: f.auditLogMaxsize * 1024 * 1024,
    maxBackups: f.auditLogMaxbackup,
    maxAgeDays: f.auditLogMaxage,
  });
}
