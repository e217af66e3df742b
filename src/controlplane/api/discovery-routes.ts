/**
 * Routes the non-resource read paths — `/version`, discovery (`/api`, `/apis`, group and
 * group-version documents, aggregated or legacy by the Accept header) and OpenAPI v3 — to the
 * builders in discovery.ts and openapi.ts.
 */
import { AGGREGATED_DISCOVERY_CONTENT_TYPE, aggregatedDiscovery, apiGroup, apiGroupList, apiResourceList, legacyApiVersions, versionInfo } from './discovery.js';
import { openapiDocument, openapiRoot } from './openapi.js';
import { jsonResponse, type ApiRequest, type ApiResponse } from './request.js';

/** Does the Accept header ask for aggregated discovery (apidiscovery.k8s.io v2 or v2beta1)? */
function aggregatedVersion(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  for (const part of (accept ?? '').split(',')) {
    const params = part.split(';').map((p) => p.trim());
    if (!params.includes('as=APIGroupDiscoveryList') || !params.includes('g=apidiscovery.k8s.io')) continue;
    if (params.includes('v=v2')) return 'v2';
    if (params.includes('v=v2beta1')) return 'v2beta1';
  }
  return undefined;
}

/** The response for a discovery or OpenAPI path, or undefined when the path is none of them. */
export function discoveryResponse(path: string, req: ApiRequest | undefined): ApiResponse | undefined {
  if (path === '/version') return jsonResponse(200, versionInfo());
  if (path === '/api' || path === '/apis') {
    const which = path === '/api' ? 'api' : 'apis';
    const agg = aggregatedVersion(req?.headers.accept);
    if (agg) {
      const body = aggregatedDiscovery(which);
      const contentType = agg === 'v2' ? AGGREGATED_DISCOVERY_CONTENT_TYPE : AGGREGATED_DISCOVERY_CONTENT_TYPE.replace('v=v2', 'v=v2beta1');
      if (agg === 'v2beta1') body.apiVersion = 'apidiscovery.k8s.io/v2beta1';
      return { status: 200, headers: { 'content-type': contentType }, body: JSON.stringify(body) };
    }
    return jsonResponse(200, which === 'api' ? legacyApiVersions() : apiGroupList());
  }
  const parts = path.split('/').filter(Boolean);
  if (parts[0] === 'api' && parts.length === 2) {
    const list = apiResourceList('', parts[1]);
    return list ? jsonResponse(200, list) : undefined;
  }
  if (parts[0] === 'apis' && parts.length === 2) {
    const group = apiGroup(parts[1]);
    return group ? jsonResponse(200, group) : undefined;
  }
  if (parts[0] === 'apis' && parts.length === 3) {
    const list = apiResourceList(parts[1], parts[2]);
    return list ? jsonResponse(200, list) : undefined;
  }
  if (path === '/openapi/v3') return jsonResponse(200, openapiRoot());
  if (parts[0] === 'openapi' && parts[1] === 'v3' && parts.length > 2) {
    const doc = openapiDocument(parts.slice(2).join('/'));
    return doc ? { status: 200, headers: { 'content-type': 'application/json', etag: `"${doc.hash}"` }, body: doc.json } : undefined;
  }
  return undefined;
}
