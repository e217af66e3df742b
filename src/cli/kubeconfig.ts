/**
 * The kubeconfig `berth up` writes, so the real kubectl works against the cluster at once.
 */
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';

/** `caPem` is the CA that signed the server's certificate (for https servers). */
export function kubeconfigYaml(server: string, token: string, caPem?: string, name = 'berth'): string {
  const cluster: Record<string, string> = { server };
  if (caPem) cluster['certificate-authority-data'] = Buffer.from(caPem).toString('base64');
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster }],
    users: [{ name: `${name}-admin`, user: { token } }],
    contexts: [{ name, context: { cluster: name, user: `${name}-admin`, namespace: 'default' } }],
    'current-context': name,
    preferences: {},
  });
}

export function writeKubeconfig(path: string, server: string, token: string, caPem?: string): void {
  writeFileSync(path, kubeconfigYaml(server, token, caPem), { mode: 0o600 });
}
