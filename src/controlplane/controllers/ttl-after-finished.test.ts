import type { Job } from 'kubernetes-types/batch/v1.js';
import { describe, expect, it } from 'vitest';
import { decideTtlAfterFinished } from './ttl-after-finished.js';

const NOW = Date.parse('2025-01-01T00:10:00Z');

function job(o: { ttl?: number; finished?: 'Complete' | 'Failed'; at?: string; deleting?: boolean }): Job {
  return {
    metadata: { name: 'j', namespace: 'default', ...(o.deleting ? { deletionTimestamp: '2025-01-01T00:09:00Z' } : {}) },
    spec: { ttlSecondsAfterFinished: o.ttl, template: {} },
    status: o.finished ? { conditions: [{ type: o.finished, status: 'True', lastTransitionTime: o.at ?? '2025-01-01T00:09:00Z' }] } : {},
  };
}

describe('decideTtlAfterFinished', () => {
  it.each([
    { name: 'no ttl', job: job({ finished: 'Complete' }), want: { action: 'none' } },
    { name: 'not finished', job: job({ ttl: 0 }), want: { action: 'none' } },
    { name: 'ttl 0 after Complete: delete', job: job({ ttl: 0, finished: 'Complete' }), want: { action: 'delete' } },
    { name: 'expired after Failed: delete', job: job({ ttl: 60, finished: 'Failed' }), want: { action: 'delete' } },
    { name: 'not yet: wait for the rest', job: job({ ttl: 100, finished: 'Complete' }), want: { action: 'wait', requeueAfterMs: 40_000 } },
    { name: 'already being deleted', job: job({ ttl: 0, finished: 'Complete', deleting: true }), want: { action: 'none' } },
  ])('$name', (c) => {
    expect(decideTtlAfterFinished(c.job, NOW)).toEqual(c.want);
  });
});
