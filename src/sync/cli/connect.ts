/**
 * How `berth app` and `berth repo` find the cluster: the kubeconfig from `--kubeconfig`, else
 * `KUBECONFIG`, else `./.berth/kubeconfig`; its current context's server, CA and token.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { Client } from '../../controlplane/client/client.js';
import { HttpTransport } from '../../controlplane/client/transport.js';

interface Kubeconfig {
  clusters?: { name: string; cluster: { server: string; 'certificate-authority-data'?: string } }[];
  users?: { name: string; user: { token?: string } }[];
  contexts?: { name: string; context: { cluster: string; user: string; namespace?: string } }[];
  'current-context'?: string;
}

export function kubeconfigPath(flag?: string): string {
  return flag ?? process.env.KUBECONFIG?.split(':')[0] ?? '.berth/kubeconfig';
}

/**
 * A client for the kubeconfig's current context (its server, or `server` when given, as kubectl's
 * `--server`), the server's URL, and that context's namespace (default "default").
 */
export function connect(flag?: string, server?: string): { client: Client; namespace: string; server: string } {
  const path = kubeconfigPath(flag);
  let kc: Kubeconfig;
  try {
    kc = parse(readFileSync(path, 'utf8')) as Kubeconfig;
  } catch (e) {
    throw new Error(`cannot read kubeconfig ${path} (${(e as Error).message}); is berth up running? pass --kubeconfig or set KUBECONFIG`);
  }
  const ctx = kc.contexts?.find((c) => c.name === kc['current-context']) ?? kc.contexts?.[0];
  const cluster = kc.clusters?.find((c) => c.name === ctx?.context.cluster);
  if (!ctx || !cluster) throw new Error(`kubeconfig ${path} has no current context with a cluster`);
  const user = kc.users?.find((u) => u.name === ctx.context.user);
  const ca = cluster.cluster['certificate-authority-data'];
  const url = server ?? cluster.cluster.server;
  const transport = new HttpTransport(url, user?.user.token, ca ? Buffer.from(ca, 'base64').toString('utf8') : undefined);
  return { client: new Client(transport), namespace: ctx.context.namespace ?? 'default', server: url };
}
