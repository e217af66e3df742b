/**
 * PersistentVolumes as a user of `berth up` sees them, through kubectl: the default StorageClass,
 * a claim without a class gets it (DefaultStorageClass admission), is bound when its first pod is
 * scheduled (WaitForFirstConsumer) to a directory provisioned on that pod's node; the data outlives
 * the pod and a new pod on the same claim reads it; a claim deleted while a pod mounts it waits for
 * the pod (pvc-protection); deleting the claim deletes the volume and its directory (Delete) or
 * keeps both (Retain); a StatefulSet's volumeClaimTemplates give each replica
 * its own directory, which its replacement finds again.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { up, type Cluster } from '../../src/cli/up.js';
import { until } from '../harness/wait.js';

const dataDir = mkdtempSync(join(tmpdir(), 'berth-storage-'));
let cluster: Cluster | undefined;

function kubectl(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile('kubectl', ['--kubeconfig', join(dataDir, 'kubeconfig'), '--cache-dir', join(dataDir, 'kube-cache'), ...args], { timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? 1 : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

async function apply(yaml: string): Promise<void> {
  const r = await kubectl(['apply', '-f', '-'], yaml);
  expect(r.code, r.stderr).toBe(0);
}

async function jsonpath(...args: string[]): Promise<string> {
  const r = await kubectl(['get', ...args.slice(0, -1), '-o', `jsonpath=${args[args.length - 1]}`]);
  return r.code === 0 ? r.stdout : '';
}

const podYaml = (name: string, claim: string, script: string, restartPolicy = 'Never') => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  restartPolicy: ${restartPolicy}
  containers:
  - name: c
    image: busybox
    command: [sh, -c, '${script}']
    volumeMounts: [{name: data, mountPath: /data}]
  volumes:
  - name: data
    persistentVolumeClaim: {claimName: ${claim}}
`;

const claimYaml = (name: string, cls?: string) => `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: ${name}}
spec:
  ${cls ? `storageClassName: ${cls}` : ''}
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
`;

beforeAll(async () => {
  cluster = await up({ apiPort: 0, host: '127.0.0.1', dataDir, nodes: 2, runtime: 'process', fsync: 'everysec', demo: false, policies: 'off' }, () => {});
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('PersistentVolumes with the local provisioner', () => {
  it('berth up installs the default StorageClass', async () => {
    const r = await kubectl(['get', 'storageclass']);
    expect(r.stdout).toMatch(/^NAME\s+PROVISIONER\s+RECLAIMPOLICY\s+VOLUMEBINDINGMODE\s+ALLOWVOLUMEEXPANSION\s+AGE\n/);
    expect(r.stdout).toMatch(/\nstandard \(default\)\s+berth\.dev\/local\s+Delete\s+WaitForFirstConsumer\s+false\s+/);
  });

  it('a pod writes into its claim, a later pod on the same claim reads it; the claim outlives its deletion while a pod uses it, then its volume and directory go', async () => {
    await apply(claimYaml('data'));
    expect(await jsonpath('pvc', 'data', '{.spec.storageClassName}')).toBe('standard');
    // WaitForFirstConsumer: nothing is bound before a pod uses the claim
    await new Promise((r) => setTimeout(r, 1000));
    expect(await jsonpath('pvc', 'data', '{.status.phase}')).toBe('Pending');
    await until('the WaitForFirstConsumer event', async () => ((await kubectl(['describe', 'pvc', 'data'])).stdout.match(/Normal\s+WaitForFirstConsumer\s+.*waiting for first consumer to be created before binding/) ? true : undefined));

    await apply(podYaml('writer', 'data', 'echo written-by-writer > /data/greeting'));
    await until('writer Succeeded', async () => ((await jsonpath('pod', 'writer', '{.status.phase}')) === 'Succeeded' ? true : undefined));
    const node = await jsonpath('pod', 'writer', '{.spec.nodeName}');
    const volume = await jsonpath('pvc', 'data', '{.spec.volumeName}');
    expect(volume).toMatch(/^pvc-/);
    expect(await jsonpath('pvc', 'data', '{.status.phase}')).toBe('Bound');
    expect(await jsonpath('pv', volume, '{.status.phase}')).toBe('Bound');
    expect(await jsonpath('pv', volume, '{.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values[0]}')).toBe(node);
    const dir = await jsonpath('pv', volume, '{.spec.hostPath.path}');
    expect(dir.startsWith(join(dataDir, 'agents', node, 'volumes') + '/')).toBe(true);
    expect(readFileSync(join(dir, 'greeting'), 'utf8')).toBe('written-by-writer\n');

    const pvc = await kubectl(['get', 'pvc']);
    expect(pvc.stdout).toMatch(/^NAME\s+STATUS\s+VOLUME\s+CAPACITY\s+ACCESS MODES\s+STORAGECLASS\s+VOLUMEATTRIBUTESCLASS\s+AGE\n/);
    expect(pvc.stdout).toMatch(new RegExp(`\\ndata\\s+Bound\\s+${volume}\\s+1Gi\\s+RWO\\s+standard\\s+<unset>\\s+\\d+s\\n`));
    const pv = await kubectl(['get', 'pv']);
    expect(pv.stdout).toMatch(/^NAME\s+CAPACITY\s+ACCESS MODES\s+RECLAIM POLICY\s+STATUS\s+CLAIM\s+STORAGECLASS\s+VOLUMEATTRIBUTESCLASS\s+REASON\s+AGE\n/);
    expect(pv.stdout).toMatch(new RegExp(`\\n${volume}\\s+1Gi\\s+RWO\\s+Delete\\s+Bound\\s+default/data\\s+standard\\s+<unset>\\s+\\d+s\\n`));

    expect((await kubectl(['delete', 'pod', 'writer'])).code).toBe(0);
    await apply(podYaml('reader', 'data', 'cat /data/greeting'));
    await until('reader Succeeded', async () => ((await jsonpath('pod', 'reader', '{.status.phase}')) === 'Succeeded' ? true : undefined));
    expect(await jsonpath('pod', 'reader', '{.spec.nodeName}')).toBe(node);
    expect((await kubectl(['logs', 'reader'])).stdout).toBe('written-by-writer\n');

    // a claim a running pod mounts is not deleted under it (kubernetes.io/pvc-protection)
    await apply(podYaml('holder', 'data', 'exec sleep 3600', 'Always').replace('spec:\n', 'spec:\n  terminationGracePeriodSeconds: 1\n'));
    await until('holder Running', async () => ((await jsonpath('pod', 'holder', '{.status.phase}')) === 'Running' ? true : undefined));
    expect((await kubectl(['delete', 'pvc', 'data', '--wait=false'])).code).toBe(0);
    await until('the claim Terminating', async () => ((await kubectl(['get', 'pvc', 'data'])).stdout.match(/\ndata\s+Terminating\s/) ? true : undefined));
    await new Promise((r) => setTimeout(r, 1500));
    expect(await jsonpath('pvc', 'data', '{.metadata.finalizers[0]}')).toBe('kubernetes.io/pvc-protection');
    expect(await jsonpath('pv', volume, '{.status.phase}')).toBe('Bound');
    expect(readFileSync(join(dir, 'greeting'), 'utf8')).toBe('written-by-writer\n');

    expect((await kubectl(['delete', 'pod', 'reader', 'holder'])).code).toBe(0);
    await until('the claim gone', async () => ((await kubectl(['get', 'pvc', 'data'])).code !== 0 ? true : undefined));
    await until('the volume deleted', async () => ((await kubectl(['get', 'pv', volume])).code !== 0 ? true : undefined));
    expect(existsSync(dir)).toBe(false);
  }, 180_000);

  it('Retain keeps a released volume and its data; a claim binds to a matching static volume', async () => {
    await apply(`
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: keep}
provisioner: berth.dev/local
reclaimPolicy: Retain
volumeBindingMode: WaitForFirstConsumer
`);
    await apply(claimYaml('kept', 'keep'));
    await apply(podYaml('keeper', 'kept', 'echo kept > /data/file'));
    await until('keeper Succeeded', async () => ((await jsonpath('pod', 'keeper', '{.status.phase}')) === 'Succeeded' ? true : undefined));
    const volume = await jsonpath('pvc', 'kept', '{.spec.volumeName}');
    const dir = await jsonpath('pv', volume, '{.spec.hostPath.path}');
    expect((await kubectl(['delete', 'pod', 'keeper'])).code).toBe(0);
    expect((await kubectl(['delete', 'pvc', 'kept'])).code).toBe(0);
    await until('the volume Released', async () => ((await jsonpath('pv', volume, '{.status.phase}')) === 'Released' ? true : undefined));
    expect(readFileSync(join(dir, 'file'), 'utf8')).toBe('kept\n');

    // a static volume of no class: an Immediate claim of no class binds to it without any pod
    await apply(`
apiVersion: v1
kind: PersistentVolume
metadata: {name: static-1, labels: {disk: one}}
spec:
  storageClassName: ""
  capacity: {storage: 2Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  hostPath: {path: ${join(dataDir, 'static-1')}}
`);
    await until('static-1 Available', async () => ((await jsonpath('pv', 'static-1', '{.status.phase}')) === 'Available' ? true : undefined));
    await apply(`
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: manual}
spec:
  storageClassName: ""
  selector: {matchLabels: {disk: one}}
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
`);
    await until('manual Bound to static-1', async () => ((await jsonpath('pvc', 'manual', '{.status.phase} {.spec.volumeName} {.status.capacity.storage}')) === 'Bound static-1 2Gi' ? true : undefined));
    expect(await jsonpath('pv', 'static-1', '{.status.phase} {.spec.claimRef.name}')).toBe('Bound manual');
  }, 180_000);

  it('a StatefulSet gives each replica its own claim and directory, found again by its replacement', async () => {
    await apply(`
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: web
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: c
        image: busybox
        command: [sh, -c, 'if [ -f /data/id ]; then echo "found $(cat /data/id)"; else echo "$HOSTNAME" > /data/id; echo new; fi; exec sleep 3600']
        volumeMounts: [{name: www, mountPath: /data}]
  volumeClaimTemplates:
  - metadata: {name: www}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
`);
    await until('2 ready replicas', async () => ((await jsonpath('sts', 'web', '{.status.readyReplicas}')) === '2' ? true : undefined), 90_000);
    const dirs: string[] = [];
    for (const i of [0, 1]) {
      expect(await jsonpath('pvc', `www-web-${i}`, '{.status.phase} {.spec.storageClassName}')).toBe('Bound standard');
      const volume = await jsonpath('pvc', `www-web-${i}`, '{.spec.volumeName}');
      const dir = await jsonpath('pv', volume, '{.spec.hostPath.path}');
      expect(readFileSync(join(dir, 'id'), 'utf8')).toBe(`web-${i}\n`);
      expect((await kubectl(['logs', `web-${i}`])).stdout).toBe('new\n');
      dirs.push(dir);
    }
    expect(dirs[0]).not.toBe(dirs[1]);

    const uid = await jsonpath('pod', 'web-0', '{.metadata.uid}');
    expect((await kubectl(['delete', 'pod', 'web-0', '--wait=false'])).code).toBe(0);
    await until('web-0 replaced and running', async () => {
      const [u, phase] = (await jsonpath('pod', 'web-0', '{.metadata.uid} {.status.phase}')).split(' ');
      return u && u !== uid && phase === 'Running' ? true : undefined;
    }, 90_000);
    let seen = '';
    await until('the replacement to log that it found its data', async () => ((seen = (await kubectl(['logs', 'web-0'])).stdout) === 'found web-0\n' ? true : undefined), 90_000).catch((e: Error) => {
      throw new Error(`${e.message}; it logged ${JSON.stringify(seen)}`);
    });
  }, 240_000);
});
