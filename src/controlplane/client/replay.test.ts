import { describe, expect, it } from 'vitest';
import { isConnectionReset, replayable } from './replay.js';

const cm = (rv?: string) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', ...(rv === undefined ? {} : { resourceVersion: rv }) } });

describe('replayable', () => {
  it.each([
    ['GET', '/api/v1/namespaces/default/configmaps/a', undefined, true],
    ['GET', '/api/v1/configmaps?watch=true&resourceVersion=7', undefined, true],
    ['head', '/api/v1', undefined, true],
    ['options', '/api/v1', undefined, true],
    // a write is never repeated: the first attempt may have been applied
    ['DELETE', '/api/v1/namespaces/default/configmaps/a', '{"kind":"DeleteOptions"}', false],
    ['DELETE', '/api/v1/namespaces/default/configmaps', undefined, false],
    ['PUT', '/api/v1/namespaces/default/configmaps/a', cm('12'), false],
    ['PUT', '/api/v1/namespaces/default/configmaps/a', cm(), false],
    ['PATCH', '/api/v1/namespaces/default/configmaps/a', '{"metadata":{"resourceVersion":"3"},"data":{"v":"1"}}', false],
    ['DELETE', '/api/v1/namespaces/default/configmaps/a?dryRun=All', undefined, true],
    ['PATCH', '/api/v1/namespaces/default/configmaps/a?fieldManager=x&force=true', 'apiVersion: v1\nkind: ConfigMap', false],
    ['PATCH', '/api/v1/namespaces/default/configmaps/a?dryRun=All&fieldManager=x', 'apiVersion: v1\nkind: ConfigMap', true],
    ['POST', '/api/v1/namespaces/default/configmaps?dryRun=All', cm(), true],
    ['POST', '/api/v1/namespaces/default/configmaps', cm('5'), false],
    ['POST', '/api/v1/namespaces/default/pods/p/eviction', '{}', false],
  ])('%s %s %s → %s', (method, path, body, want) => {
    expect(replayable({ method, path, body })).toBe(want);
  });
});

describe('isConnectionReset', () => {
  it.each([
    [Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), true],
    [Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), true],
    [Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }), true],
    [Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), false],
    [new Error('The operation was aborted'), false],
    [undefined, false],
  ])('%s → %s', (err, want) => {
    expect(isConnectionReset(err)).toBe(want);
  });
});
