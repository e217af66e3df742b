/**
 * The node side of berth's local provisioner: when a provisioned PersistentVolume on one of this
 * agent's nodes is deleted (reclaim policy Delete, its claim gone), the agent removes the volume's
 * directory and then the `berth.dev/local-volume-cleanup` finalizer, so the PV object goes only
 * after its data did — as local-path-provisioner's helper pod does on kind. Only directories under
 * the node's own local-volume root are ever removed; sim nodes have none and just release the PV.
 */
import { rmSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import type { PersistentVolume } from 'kubernetes-types/core/v1.js';
import { StatusError } from '../controlplane/api/errors.js';
import type { Client } from '../controlplane/client/client.js';
import { Informer } from '../controlplane/client/informer.js';
import { refs } from '../controlplane/client/refs.js';
import { LOCAL_VOLUME_FINALIZER, volumeNodeName, volumePath } from '../controlplane/controllers/persistentvolume.js';
import type { KubeObject } from '../controlplane/resources/types.js';

/** One node whose local volumes this agent cleans up. */
export interface LocalVolumeNode {
  client: Client;
  /** the node's local-volume root; undefined for sim nodes (no directory to remove) */
  root?: string;
}

/**
 * The directory to remove for `pv` on a node with local-volume `root`, or undefined: none (sim
 * node), or a path outside the root, which is never touched.
 */
export function directoryToRemove(pv: PersistentVolume, root: string | undefined): string | undefined {
  const path = volumePath(pv);
  if (!root || !path) return undefined;
  const r = resolve(root);
  const p = resolve(path);
  return p.startsWith(r + sep) ? p : undefined;
}

type PV = PersistentVolume & KubeObject;

export class LocalVolumeCleaner {
  private readonly informer: Informer<PV>;
  private readonly inflight = new Set<string>();

  constructor(
    client: Client,
    private readonly nodes: ReadonlyMap<string, LocalVolumeNode>,
    private readonly log: (line: string) => void,
  ) {
    this.informer = new Informer<PV>(client, refs.persistentvolumes, { log });
    const check = (pv: PV) => this.check(pv);
    this.informer.on({ onAdd: check, onUpdate: (_o, pv) => check(pv) });
  }

  async start(signal: AbortSignal): Promise<void> {
    await this.informer.start(signal);
  }

  async stopped(): Promise<void> {
    await this.informer.stopped();
  }

  private check(pv: PV): void {
    const name = pv.metadata?.name ?? '';
    if (!pv.metadata?.deletionTimestamp || !pv.metadata.finalizers?.includes(LOCAL_VOLUME_FINALIZER) || this.inflight.has(name)) return;
    const node = this.nodes.get(volumeNodeName(pv) ?? '');
    if (!node) return;
    this.inflight.add(name);
    void this.clean(pv, node)
      .catch((e: Error) => this.log(`agent: cleaning up persistentvolume ${name}: ${e.message}`))
      .finally(() => this.inflight.delete(name));
  }

  private async clean(pv: PV, node: LocalVolumeNode): Promise<void> {
    const dir = directoryToRemove(pv, node.root);
    if (dir) rmSync(dir, { recursive: true, force: true });
    const finalizers = (pv.metadata?.finalizers ?? []).filter((f) => f !== LOCAL_VOLUME_FINALIZER);
    try {
      await node.client.patch(refs.persistentvolumes, pv.metadata?.name ?? '', 'merge', { metadata: { finalizers: finalizers.length ? finalizers : null, resourceVersion: pv.metadata?.resourceVersion } });
    } catch (e) {
      // Conflict: changed meanwhile, the update event brings us back; NotFound: gone already
      if (!(e instanceof StatusError && (e.reason === 'Conflict' || e.reason === 'NotFound'))) throw e;
    }
  }
}
