/**
 * Pod volumes as directories on the machine: emptyDir per pod, configMap/secret/downwardAPI as
 * files written from the objects, projected (configMap, secret, downwardAPI and serviceAccountToken
 * sources in one directory: the token comes from TokenRequest, so a process in the pod can read
 * /var/run/secrets/kubernetes.io/serviceaccount/token and call the API), hostPath as the path itself, persistentVolumeClaim as the bound
 * PersistentVolume's directory (local storage on this node, kept after the pod). A container reaches a volume through
 * `VOLUME_<NAME>` in its env and through its mountPath: arguments, env values and workingDir that
 * start with a mountPath are rewritten to the volume's directory (no mount namespace needed).
 */
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import type { Container, DownwardAPIVolumeFile, KeyToPath, Pod, Volume } from 'kubernetes-types/core/v1.js';
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

/** A configMap, secret, downwardAPI or projected volume's files: relative path → content and mode. */
export type VolumeFiles = Map<string, { content: string | Buffer; mode: number }>;

/**
 * Makes `dir` hold exactly `files`: writes each (atomically, so a reader sees the old or the new
 * content) and removes every other file and emptied directory — a key removed from a ConfigMap or
 * Secret loses its file, as the kubelet's atomic writer does.
 */
export function syncVolumeFiles(dir: string, files: VolumeFiles): void {
  mkdirSync(dir, { recursive: true });
  for (const [rel, f] of files) writeAtomically(join(dir, rel), f.content, f.mode);
  const prune = (sub: string): boolean => {
    let empty = true;
    for (const e of readdirSync(join(dir, sub), { withFileTypes: true })) {
      const rel = join(sub, e.name);
      if (e.isDirectory() && prune(rel)) rmSync(join(dir, rel), { recursive: true, force: true });
      else if (e.isDirectory() || files.has(rel)) empty = false;
      else rmSync(join(dir, rel), { force: true });
    }
    return empty;
  };
  prune('');
}

function addItems(files: VolumeFiles, entries: Map<string, Buffer>, items: KeyToPath[] | undefined, defaultMode: number | undefined, optional: boolean, what: string): void {
  const mode = defaultMode ?? 0o644;
  if (!items || items.length === 0) {
    for (const [k, v] of entries) files.set(safeRelative(k), { content: v, mode });
    return;
  }
  for (const it of items) {
    const v = entries.get(it.key);
    if (v === undefined) {
      if (optional) continue;
      throw new ConfigError(`${what}: key "${it.key}" not found`);
    }
    files.set(safeRelative(it.path), { content: v, mode: it.mode ?? mode });
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

type VolumeHost = Pick<RuntimeHost, 'lookup' | 'lookupClaim' | 'serviceAccountToken'>;

/** Adds a configMap's or secret's entries to `files` (none when the object is missing and optional). */
async function addObject(files: VolumeFiles, kind: 'ConfigMap' | 'Secret', ns: string, name: string, items: KeyToPath[] | undefined, mode: number | undefined, optional: boolean, what: string, host: VolumeHost): Promise<void> {
  const entries = await objectEntries(host, kind, ns, name);
  if (!entries) {
    if (optional) return;
    throw new ConfigError(`${kind.toLowerCase()} "${name}" not found (${what})`);
  }
  addItems(files, entries, items, mode, optional, what);
}

function addDownward(files: VolumeFiles, items: DownwardAPIVolumeFile[], mode: number | undefined, pod: Pod, node: NodeContext): void {
  for (const it of items) {
    let value = '';
    if (it.fieldRef) value = fieldValue(pod, it.fieldRef.fieldPath, node);
    else if (it.resourceFieldRef) {
      const c = pod.spec?.containers.find((x) => x.name === it.resourceFieldRef!.containerName) ?? pod.spec!.containers[0];
      value = resourceValue(c, it.resourceFieldRef.resource, it.resourceFieldRef.divisor, node);
    }
    files.set(safeRelative(it.path), { content: value, mode: it.mode ?? mode ?? 0o644 });
  }
}

/** Writes (or rewrites, when objects changed) one volume; returns its directory. */
async function writeVolume(v: Volume, pod: Pod, podDir: string, node: NodeContext, host: VolumeHost): Promise<string> {
  const ns = pod.metadata?.namespace ?? 'default';
  const dir = join(podDir, 'volumes', v.name);
  if (v.hostPath) {
    if (v.hostPath.type === 'DirectoryOrCreate' || !v.hostPath.type) mkdirSync(v.hostPath.path, { recursive: true });
    return v.hostPath.path;
  }
  mkdirSync(dir, { recursive: true });
  if (v.emptyDir) return dir;
  const what = `volume "${v.name}"`;
  const files: VolumeFiles = new Map();
  if (v.configMap) await addObject(files, 'ConfigMap', ns, v.configMap.name ?? '', v.configMap.items, v.configMap.defaultMode, v.configMap.optional ?? false, what, host);
  else if (v.secret) await addObject(files, 'Secret', ns, v.secret.secretName ?? '', v.secret.items, v.secret.defaultMode, v.secret.optional ?? false, what, host);
  else if (v.downwardAPI) addDownward(files, v.downwardAPI.items ?? [], v.downwardAPI.defaultMode, pod, node);
  else if (v.projected) {
    const mode = v.projected.defaultMode;
    for (const src of v.projected.sources ?? []) {
      if (src.configMap) await addObject(files, 'ConfigMap', ns, src.configMap.name ?? '', src.configMap.items, mode, src.configMap.optional ?? false, what, host);
      if (src.secret) await addObject(files, 'Secret', ns, src.secret.name ?? '', src.secret.items, mode, src.secret.optional ?? false, what, host);
      if (src.downwardAPI) addDownward(files, src.downwardAPI.items ?? [], mode, pod, node);
      if (src.serviceAccountToken) {
        const t = src.serviceAccountToken;
        let token: string;
        try {
          token = await host.serviceAccountToken(pod, t.audience, t.expirationSeconds ?? 3600);
        } catch (e) {
          throw new ConfigError(`${what}: requesting a token for serviceaccount "${pod.spec?.serviceAccountName ?? 'default'}" failed: ${(e as Error).message}`);
        }
        files.set(safeRelative(t.path), { content: token, mode: mode ?? 0o644 });
      }
    }
  }
  if (v.configMap || v.secret || v.downwardAPI || v.projected) {
    syncVolumeFiles(dir, files);
    return dir;
  }
  if (v.persistentVolumeClaim) return claimDir(v.persistentVolumeClaim.claimName, ns, node, host);
  throw new ConfigError(`volume "${v.name}": only emptyDir, configMap, secret, downwardAPI, projected, hostPath and persistentVolumeClaim are supported by the process runtime`);
}

/** Prepares every volume of the pod; volume name → directory. */
export async function prepareVolumes(pod: Pod, podDir: string, node: NodeContext, host: VolumeHost): Promise<Map<string, string>> {
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
