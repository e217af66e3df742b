/**
 * LeanClient moved to the control plane's client (the node lifecycle controller uses it too); this
 * re-export keeps src/agent/proxy/service-proxy.ts building until it imports it from there.
 */
export { LeanClient } from '../controlplane/client/lean-client.js';
