/**
 * Installs berth's policy library (policies/) when `berth up` starts. By default the validating
 * policies are bound in Warn mode — kubectl prints their verdicts as warnings and nothing is refused —
 * so existing manifests keep applying while users see what the library would deny; `enforce` keeps
 * each binding's own actions and adds the mutating policies. Objects that exist are left as they are
 * (a user may have changed them).
 */
import { StatusError } from '../controlplane/api/errors.js';
import type { Client } from '../controlplane/client/client.js';
import { ref } from '../controlplane/client/refs.js';
import type { KubeObject } from '../controlplane/resources/types.js';
import { DEFAULT_POLICY_DIR, loadPolicyLibrary } from '../policy/library.js';

export type PolicyMode = 'off' | 'warn' | 'enforce';

/** The library's objects as `mode` installs them, policies before their bindings. */
export function libraryObjects(mode: PolicyMode, dir = DEFAULT_POLICY_DIR): KubeObject[] {
  if (mode === 'off') return [];
  const objects = loadPolicyLibrary(dir);
  if (mode === 'enforce') return objects;
  return objects
    .filter((o) => !o.kind?.startsWith('MutatingAdmissionPolicy'))
    .map((o) => (o.kind === 'ValidatingAdmissionPolicyBinding' ? { ...o, spec: { ...(o.spec as object), validationActions: ['Warn'] } } : o));
}

export async function installPolicyLibrary(client: Client, mode: PolicyMode, log: (line: string) => void): Promise<void> {
  const objects = libraryObjects(mode);
  let created = 0;
  for (const obj of objects) {
    try {
      await client.create(ref(String(obj.apiVersion), String(obj.kind)), obj);
      created++;
    } catch (e) {
      if (!(e instanceof StatusError && e.reason === 'AlreadyExists')) throw new Error(`policy library: ${obj.kind} ${obj.metadata?.name}: ${(e as Error).message}`);
    }
  }
  if (objects.length > 0) log(`policies: ${objects.length / 2} library policies in ${mode} mode (${created} objects created; --policies off|warn|enforce)`);
}
