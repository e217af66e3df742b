/**
 * Parses Kubernetes REST paths (`/api/v1/namespaces/ns/pods/name/status`, `/apis/apps/v1/deployments`)
 * into what is addressed. Pure; the handler decides what to do with it.
 */

export interface ResourcePath {
  group: string;
  version: string;
  /** namespace from the path; undefined for cluster-wide requests */
  namespace?: string;
  /** the plural resource segment */
  resource: string;
  name?: string;
  subresource?: string;
}

/**
 * Returns the addressed resource, or undefined when the path is not a resource path (discovery,
 * OpenAPI, health...). `/api/v1/namespaces/x` addresses the namespace `x` itself.
 */
export function parseResourcePath(path: string): ResourcePath | undefined {
  const parts = path.split('/').filter((p) => p !== '');
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api') {
    if (parts.length < 3) return undefined;
    group = '';
    version = parts[1];
    rest = parts.slice(2);
  } else if (parts[0] === 'apis') {
    if (parts.length < 4) return undefined;
    group = parts[1];
    version = parts[2];
    rest = parts.slice(3);
  } else {
    return undefined;
  }
  rest = rest.map(decodeURIComponent);
  if (rest[0] === 'namespaces' && rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize')) {
    // a namespace's own subresources
    return { group, version, resource: 'namespaces', name: rest[1], subresource: rest[2] };
  }
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    // /namespaces/{ns}/{resource}[/{name}[/{sub}]]
    const [, namespace, resource, name, subresource, ...extra] = rest;
    if (extra.length > 0) return undefined;
    return { group, version, namespace, resource, name, subresource };
  }
  const [resource, name, subresource, ...extra] = rest;
  if (extra.length > 0) return undefined;
  return { group, version, resource, name, subresource };
}
