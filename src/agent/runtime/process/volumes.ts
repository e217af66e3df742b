/**
 * Pod volumes as directories on the machine: emptyDir per pod, configMap/secret/downwardAPI as
 * files written from the objects, hostPath as the path itself, persistentVolumeClaim as the bound
 * PersistentVolume's directory (local storage on this node, kept after the pod). A container reaches a volume through
 * `VOLUME_<NAME>` in its env and through its mountPath: arguments, env values and workingDir that
 * start with a mountPath are rewritten to the volume's directory (no mount namespace needed).
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import type { Container, KeyToPath, Pod, Volume } from 'kubernetes-types/core/v1.js';
import type { NodeContext, RuntimeHost } from '../runtime.js';
import { ConfigError, envName, fieldValue, resourceValue } from './container-env.js';
import { volumeNodeName, volumePath } from '../../../controlplane/controllers/persistentvolume.js';

/** A mount of one container: where the manifest expects it, and the directory it really is. */
export interface Mount {
  mountPath: string;
  dir: string;
}

function writeAtomically(path: string, content: string | Buffer, mode: number): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, content, { mode });
  renameSync(tmp, path);
}

function safeRelative(p: string): string {
  const n = normalize(p);
  if (n.startsWith('..') || n.startsWith('/')) throw new ConfigError(`volume item path "${p}" must be relative and must not contain '..'`);
  return n;
}

function writeItems(dir: string, entries: Map<string, Buffer>, items: KeyToPath[] | undefined, defaultMode: number | undefined, optional: boolean, what: string): void {
  const mode = defaultMode ?? 0o644;
  if (!items || items.length === 0) {
    for (const [k, v] of entries) writeAtomically(join(dir, safeRelative(k)), v, mode);
    return;
  }
  for (const it of items) {
    const v = entries.get(it.key);
    if (v === undefined) {
      if (optional) continue;
      throw new ConfigError(`${what}: key "${it.key}" not found`);
    }
    writeAtomically(join(dir, safeRelative(it.path)), v, it.mode ?? mode);
  }
}

async function objectEntries(host: Pick<RuntimeHost, 'lookup'>, kind: 'ConfigMap' | 'Secret', ns: string, name: string): Promise<Map<string, Buffer> | undefined> {
  const obj = await host.lookup(kind, ns, name);
  if (!obj) return undefined;
  const out = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(obj.data ?? {})) out.set(k, kind === 'Secret' ? Buffer.from(v, 'base64') : Buffer.from(v));
  for (const [k, v] of Object.entries(obj.binaryData ?? {})) out.set(k, Buffer.from(v, 'base64'));
  return out;
}

/**
 * The directory of a bound claim's PersistentVolume (hostPath or local), created if missing; it
 * outlives the pod. A claim not bound yet is a ConfigError, retried until the PV controller binds it.
 */
async function claimDir(claimName: string, ns: string, node: NodeContext, host: Pick<RuntimeHost, 'lookupClaim'>): Promise<string> {
  const { claim, volume } = await host.lookupClaim(ns, claimName);
  if (!claim) throw new ConfigError(`persistentvolumeclaim "${claimName}" not found`);
  if (!claim.spec?.volumeName) throw new ConfigError(`persistentvolumeclaim "${claimName}" is not bound yet (phase ${claim.status?.phase ?? 'Pending'})`);
  if (!volume) throw new ConfigError(`persistentvolumeclaim "${claimName}" is bound to persistentvolume "${claim.spec.volumeName}", which does not exist`);
  const other = volumeNodeName(volume);
  if (other && other !== node.nodeName) throw new ConfigError(`persistentvolume "${volume.metadata?.name}" is on node ${other}, not ${node.nodeName} (volume node affinity conflict)`);
  const path = volumePath(volume);
  if (!path) throw new ConfigError(`persistentvolume "${volume.metadata?.name}": only hostPath and local volumes are supported by the process runtime`);
  mkdirSync(path, { recursive: true });
  return path;
}

/** Writes (or rewrites, when objects changed) one volume; returns its directory. */
async function writeVolume(v: Volume, pod: Pod, podDir: string, node: NodeContext, host: Pick<RuntimeHost, 'lookup' | 'lookupClaim'>): Promise<string> {
  const ns = pod.metadata?.namespace ?? 'default';
  const dir = join(podDir, 'volumes', v.name);
  if (v.hostPath) {
    if (v.hostPath.type === 'DirectoryOrCreate' || !v.hostPath.type) mkdirSync(v.hostPath.path, { recursive: true });
    return v.hostPath.path;
  }
  mkdirSync(dir, { recursive: true });
  if (v.emptyDir) return dir;
  if (v.configMap || v.secret) {
    const kind = v.configMap ? 'ConfigMap' : 'Secret';
    const name = v.configMap?.name ?? v.secret?.secretName ?? '';
    const optional = (v.configMap ?? v.secret)?.optional ?? false;
    const entries = await objectEntries(host, kind, ns, name);
    if (!entries) {
      if (optional) return dir;
      throw new ConfigError(`${kind.toLowerCase()} "${name}" not found (volume "${v.name}")`);
    }
    writeItems(dir, entries, (v.configMap ?? v.secret)?.items, (v.configMap ?? v.secret)?.defaultMode, optional, `volume "${v.name}"`);
    return dir;
  }
  if (v.downwardAPI) {
    for (const it of v.downwardAPI.items ?? []) {
      let value = '';
      if (it.fieldRef) value = fieldValue(pod, it.fieldRef.fieldPath, node);
      else if (it.resourceFieldRef) {
        const c = pod.spec?.containers.find((x) => x.name === it.resourceFieldRef!.containerName) ?? pod.spec!.containers[0];
        value = resourceValue(c, it.resourceFieldRef.resource, it.resourceFieldRef.divisor, node);
      }
      writeAtomically(join(dir, safeRelative(it.path)), value, it.mode ?? v.downwardAPI.defaultMode ?? 0o644);
    }
    return dir;
  }
  if (v.persistentVolumeClaim) return claimDir(v.persistentVolumeClaim.claimName, ns, node, host);
  throw new ConfigError(`volume "${v.name}": only emptyDir, configMap, secret, downwardAPI, hostPath and persistentVolumeClaim are supported by the process runtime`);
}

/** Prepares every volume of the pod; volume name → directory. */
export async function prepareVolumes(pod: Pod, podDir: string, node: NodeContext, host: Pick<RuntimeHost, 'lookup' | 'lookupClaim'>): Promise<Map<string, string>> {
  const dirs = new Map<string, string>();
  for (const v of pod.spec?.volumes ?? []) dirs.set(v.name, await writeVolume(v, pod, podDir, node, host));
  return dirs;
}

/** The container's mounts, longest mountPath first so nested mounts win when rewriting paths. */
export function containerMounts(c: Container, dirs: Map<string, string>): Mount[] {
  const out: Mount[] = [];
  for (const m of c.volumeMounts ?? []) {
    const dir = dirs.get(m.name);
    if (dir === undefined) throw new ConfigError(`volumeMount "${m.name}" names no volume of the pod`);
    out.push({ mountPath: m.mountPath.replace(/\/+$/, '') || '/', dir: m.subPath ? join(dir, safeRelative(m.subPath)) : dir });
  }
  return out.sort((a, b) => b.mountPath.length - a.mountPath.length);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Rewrites mountPaths in a string (an argument, an env value, an `sh -c` script) to the volumes'
 * directories: a mountPath counts where it starts the string or follows a space, quote, `=` or `:`,
 * and is followed by `/`, the end, a space, quote, `;`, `|`, `&` or `)`. One pass, so a replaced directory is not
 * rewritten again.
 */
export function rewritePath(s: string, mounts: Mount[]): string {
  const usable = mounts.filter((m) => m.mountPath !== '/');
  if (usable.length === 0) return s;
  const alt = usable.map((m) => escapeRegExp(m.mountPath)).join('|');
  const re = new RegExp(`(^|[\\s'"=:])(${alt})(?=/|$|[\\s'";|&)])`, 'g');
  return s.replace(re, (_all, pre: string, path: string) => pre + usable.find((m) => m.mountPath === path)!.dir);
}

/** `VOLUME_<NAME>` env entries for the container's mounts. */
export function volumeEnv(c: Container, dirs: Map<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of c.volumeMounts ?? []) {
    const dir = dirs.get(m.name);
    if (dir !== undefined) env[`VOLUME_${envName(m.name)}`] = dir;
  }
  return env;
}

/** Removes the pod's directories (not hostPath or claims). */
export function removePodDir(podDir: string): void {
  rmSync(podDir, { recursive: true, force: true });
}
