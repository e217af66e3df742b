/**
 * The demo `berth up --demo` brings up: the manifests under examples/demo, created through the
 * API like any client would (objects that exist are left alone).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { StatusError } from '../controlplane/api/errors.js';
import type { Client } from '../controlplane/client/client.js';
import { refs } from '../controlplane/client/refs.js';
import { registry } from '../controlplane/resources/registry.js';
import type { KubeObject } from '../controlplane/resources/types.js';

export const DEMO_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../examples/demo');

/** The annotation where the Service proxy records the host port of each Service port. */
const PROXY_PORTS = 'proxy.berth.dev/ports';

/**
 * Prints where the demo answers once the Service proxy has given it a port; gives up quietly after
 * `ms` (a cluster without agents never serves it).
 */
async function announceUrl(client: Client, log: (line: string) => void, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const svc = await client.find(refs.services, 'web', 'demo').catch(() => undefined);
    const ports = svc?.metadata?.annotations?.[PROXY_PORTS];
    if (ports) {
      const port = (JSON.parse(ports) as Record<string, number>)['80/TCP'];
      if (port) {
        log(`demo: the web app answers on http://127.0.0.1:${port}/ (Service demo/web)`);
        return;
      }
    }
    await new Promise((r) => setTimeout(r, 500).unref());
  }
}

export async function applyDemo(client: Client, log: (line: string) => void): Promise<void> {
  const files = readdirSync(DEMO_DIR).filter((f) => f.endsWith('.yaml')).sort();
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(join(DEMO_DIR, file), 'utf8'))) {
      const obj = doc.toJS() as KubeObject | null;
      if (!obj) continue;
      const type = registry.findKind(String(obj.apiVersion), String(obj.kind));
      if (!type) throw new Error(`${file}: the server does not serve ${String(obj.apiVersion)} ${String(obj.kind)}`);
      const ref = { group: type.group, version: type.version, resource: type.resource, namespaced: type.namespaced };
      const what = `${type.resource}/${obj.metadata?.name}`;
      try {
        await client.create(ref, obj, { namespace: type.namespaced ? (obj.metadata?.namespace ?? 'default') : undefined, fieldManager: 'berth-demo' });
        log(`demo: ${what} created`);
      } catch (e) {
        if (e instanceof StatusError && e.reason === 'AlreadyExists') log(`demo: ${what} unchanged`);
        else throw new Error(`demo: ${file}: ${what}: ${(e as Error).message}`);
      }
    }
  }
  void announceUrl(client, log);
}
