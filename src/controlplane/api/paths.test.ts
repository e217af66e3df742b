import { describe, expect, it } from 'vitest';
import { parseResourcePath } from './paths.js';

describe('parseResourcePath', () => {
  it.each([
    ['/api/v1/pods', { group: '', version: 'v1', resource: 'pods' }],
    ['/api/v1/namespaces', { group: '', version: 'v1', resource: 'namespaces' }],
    ['/api/v1/namespaces/x', { group: '', version: 'v1', resource: 'namespaces', name: 'x' }],
    ['/api/v1/namespaces/x/status', { group: '', version: 'v1', resource: 'namespaces', name: 'x', subresource: 'status' }],
    ['/api/v1/namespaces/x/finalize', { group: '', version: 'v1', resource: 'namespaces', name: 'x', subresource: 'finalize' }],
    ['/api/v1/namespaces/default/pods', { group: '', version: 'v1', namespace: 'default', resource: 'pods' }],
    ['/api/v1/namespaces/default/pods/web-1', { group: '', version: 'v1', namespace: 'default', resource: 'pods', name: 'web-1' }],
    ['/api/v1/namespaces/default/pods/web-1/binding', { group: '', version: 'v1', namespace: 'default', resource: 'pods', name: 'web-1', subresource: 'binding' }],
    ['/apis/apps/v1/deployments', { group: 'apps', version: 'v1', resource: 'deployments' }],
    ['/apis/apps/v1/namespaces/ns/deployments/web/scale', { group: 'apps', version: 'v1', namespace: 'ns', resource: 'deployments', name: 'web', subresource: 'scale' }],
    ['/api/v1/nodes/n1/status', { group: '', version: 'v1', resource: 'nodes', name: 'n1', subresource: 'status' }],
  ])('%s', (path, want) => {
    expect(parseResourcePath(path)).toEqual({ namespace: undefined, name: undefined, subresource: undefined, ...want });
  });

  it.each(['/', '/api', '/api/v1', '/apis', '/apis/apps', '/apis/apps/v1', '/version', '/openapi/v3', '/api/v1/namespaces/a/pods/b/log/extra'])(
    '%s is not a resource path',
    (path) => {
      expect(parseResourcePath(path)).toBeUndefined();
    },
  );
});
