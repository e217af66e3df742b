/**
 * The kubeconfig `berth up` writes, so the real kubectl works against the cluster at once.
 */
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';

export function kubeconfigYaml(server: string, token: string, name = 'berth'): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server } }],
    users: [{ name: `${name}-admin`, user: { token } }],
    contexts: [{ name, context: { cluster: name, user: `${name}-admin`, namespace: 'default' } }],
    'current-context': name,
    preferences: {},
  });
}

export function writeKubeconfig(path: string, server: string, token: string): void {
  writeFileSync(path, kubeconfigYaml(server, token), { mode: 0o600 });
}
