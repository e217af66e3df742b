/**
 * `berth up`: a one-machine cluster in one process — redis-server (unless REDIS_URL), the API
 * server with the policy engine, and the components (controllers, the node lifecycle controller
 * among them; GitOps sync; scheduler; node agents; Service proxy) as their Runnables. Writes the kubeconfig, prints where the API listens, and on Ctrl-C stops everything in
 * reverse order, redis last.
 */
import { lookup } from 'node:dns/promises';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { startApiServer, type RunningApiServer } from '../controlplane/apiserver.js';
import { ensureServingCerts, servingNames } from '../controlplane/pki.js';
import { Manager, type Runnable } from '../controlplane/runtime/runnable.js';
import { ADMIN_USER, newToken } from '../policy/authn/tokens.js';
import { createPolicy } from '../policy/policy.js';
import { createControllerManager, CONTROLLER_MANAGER_USER, type ControllerSettings } from '../controlplane/controllers/index.js';
import type { DefaultTolerations } from '../policy/admission/builtin.js';
import { createScheduler, SCHEDULER_USER } from '../controlplane/scheduler/scheduler.js';
import { priorityAdmission, PriorityClassCache } from '../controlplane/scheduler/priority-admission.js';
import { nodeComponents } from '../agent/node-components.js';
import { loadStages } from '../agent/runtime/sim/stages.js';
import { DEFAULT_PROXY_PORT_RANGE, proxyPortSpan } from '../agent/proxy/proxy-ports.js';
import { createSync, SYNC_USER } from '../sync/sync.js';
import { startRedisProcess, type FsyncMode, type RedisProcess } from './redis-process.js';
import { writeKubeconfig } from './kubeconfig.js';
import { applyDemo } from './demo.js';
import { installPolicyLibrary, type PolicyMode } from './policy-library.js';
import { defaultStorageClassAdmission, ensureDefaultStorageClass, StorageClassCache } from '../policy/admission/default-storage-class.js';
import { storageProtectionAdmission } from '../policy/admission/storage-protection.js';
import type { AuditLog } from '../controlplane/api/audit/audit-log.js';
import { createKubernetesService } from '../controlplane/kubernetes-service.js';
import { machineAddress } from '../agent/node-object.js';
import { auditLogOf, type AuditFlags } from './audit-flags.js';

export interface UpOptions {
  apiPort: number;
  host: string;
  dataDir: string;
  nodes: number;
  runtime: 'process' | 'sim';
  /** with runtime sim: a YAML file of stage documents replacing the default pod lifecycle */
  simStages?: string;
  fsync: FsyncMode;
  demo: boolean;
  /** kube-apiserver token file (token,user,uid,"groups") for more users than the admin */
  tokensFile?: string;
  /** how the policy library in policies/ is installed */
  policies: PolicyMode;
  /** the audit log's flags (see auditLogOf) */
  audit?: AuditFlags;
  /** Services' clusterIPs come from this CIDR (default 10.96.0.0/12) */
  serviceCIDR?: string;
  /** the DefaultTolerationSeconds admission's tolerations (default 300 s each) */
  defaultTolerations?: DefaultTolerations;
  /** the node lifecycle controller's and podgc's settings */
  controllers?: Omit<ControllerSettings, 'rootCA'>;
  /** the Service proxy: the address ClusterIP Service ports listen on (default: `host`), the CIDRs nodePorts listen in (default: every address), the range its ports come from */
  proxyHost?: string;
  nodePortAddresses?: string[];
  proxyPortRange?: string;
}

/** The admin token survives restarts so an existing kubeconfig keeps working. */
export function adminToken(dataDir: string): string {
  const path = join(dataDir, 'admin-token');
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const token = newToken();
  writeFileSync(path, token + '\n', { mode: 0o600 });
  return token;
}

export interface Cluster {
  api: RunningApiServer;
  redis?: RedisProcess;
  kubeconfig: string;
  stop(): Promise<void>;
}

/** Wraps the API server as the manager's first Runnable, so it stops last of the components. */
function apiRunnable(api: RunningApiServer): Runnable {
  let done: Promise<void> = Promise.resolve();
  return {
    name: 'api server',
    async start(signal) {
      done = new Promise((r) => signal.addEventListener('abort', () => void api.close().then(r), { once: true }));
    },
    stopped: () => done,
  };
}

export interface PolicedApiOptions {
  dataDir: string;
  redisUrl: string;
  host: string;
  port: number;
  adminToken: string;
  tokensFile?: string;
  policies: PolicyMode;
  auditLog?: AuditLog;
  serviceCIDR?: string;
  defaultTolerations?: DefaultTolerations;
}

/**
 * The IP the `kubernetes` Service's Endpoints list for an API server listening on `host` (they hold
 * IPs): this machine's address for an unspecified one (0.0.0.0, ::), a hostname resolved as the
 * server's listen resolved it (the first address, in the resolver's order), an IP as it is.
 */
export async function advertisedAddress(host: string): Promise<string> {
  if (host === '0.0.0.0' || host === '::') return machineAddress();
  if (isIP(host)) return host;
  return (await lookup(host)).address;
}

/**
 * The API server as `berth up` and `berth apiserver` run it: HTTPS with the data dir's CA, the policy
 * engine (tokens, RBAC, CEL admission), the Priority and DefaultStorageClass admission plugins, the
 * `kubernetes` Service kept pointing at it, the policy library and (in a cluster without one) the
 * default StorageClass installed. Adds its runnables to `manager`.
 */
export async function startPolicedApi(opts: PolicedApiOptions, manager: Manager, log: (line: string) => void): Promise<{ api: RunningApiServer; caPem: string }> {
  const certs = ensureServingCerts(join(opts.dataDir, 'pki'), servingNames(opts.host));
  let api: RunningApiServer | undefined;
  const policy = await createPolicy({
    client: (user) => api!.client(user),
    dataDir: opts.dataDir,
    tokensFile: opts.tokensFile,
    staticTokens: { [opts.adminToken]: ADMIN_USER },
    defaultTolerations: opts.defaultTolerations,
    log,
  });
  const serverOptions = policy.apiServerOptions();
  // Priority resolves priorityClassName on pod create, as kube-apiserver's admission plugin does.
  const priorityClasses = new PriorityClassCache(() => api!.client());
  const storageClasses = new StorageClassCache(() => api!.client());
  const admission = [...serverOptions.admission, priorityAdmission(priorityClasses), defaultStorageClassAdmission(storageClasses), storageProtectionAdmission];
  api = await startApiServer({ ...serverOptions, admission, redisUrl: opts.redisUrl, tls: { cert: certs.cert, key: certs.key }, host: opts.host, port: opts.port, auditLog: opts.auditLog, services: { serviceCIDR: opts.serviceCIDR } });
  await manager.add(apiRunnable(api));
  // kube-apiserver's `kubernetes` Service, pointing at this server
  await manager.add(createKubernetesService({ client: api.client(), self: { ip: await advertisedAddress(opts.host), port: api.http.port }, serviceCIDR: opts.serviceCIDR, log }));
  await manager.add(policy.runnable);
  await manager.add(priorityClasses);
  await manager.add(storageClasses);
  if (await ensureDefaultStorageClass(api.client(ADMIN_USER, 'berth-storage'))) log('created the default StorageClass "standard" (local directories on the nodes)');
  await installPolicyLibrary(api.client(ADMIN_USER, 'berth-policies'), opts.policies, log);
  return { api, caPem: certs.ca };
}

export async function up(opts: UpOptions, log: (line: string) => void = console.log): Promise<Cluster> {
  if (opts.simStages && opts.runtime !== 'sim') throw new Error('--sim-stages needs --runtime sim');
  // a stage file with a mistake stops `berth up` before anything starts
  const sim = opts.simStages ? { stages: loadStages(opts.simStages) } : undefined;
  // so does a proxy port range overlapping the ephemeral or nodePort range
  proxyPortSpan(opts.proxyPortRange ?? DEFAULT_PROXY_PORT_RANGE, '--proxy-port-range');
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const token = adminToken(dataDir);
  let redis: RedisProcess | undefined;
  let redisUrl = process.env.REDIS_URL;
  if (!redisUrl) {
    log(`starting redis-server (data in ${join(dataDir, 'redis')}, appendfsync ${opts.fsync})`);
    redis = await startRedisProcess(dataDir, opts.fsync);
    redisUrl = redis.url;
  }
  const manager = new Manager();
  try {
    const { api, caPem } = await startPolicedApi({ dataDir, redisUrl, host: opts.host, port: opts.apiPort, tokensFile: opts.tokensFile, policies: opts.policies, adminToken: token, auditLog: opts.audit && auditLogOf(dataDir, opts.audit), serviceCIDR: opts.serviceCIDR, defaultTolerations: opts.defaultTolerations }, manager, log);
    await manager.add(createControllerManager({ client: (userAgent) => api.client(CONTROLLER_MANAGER_USER, userAgent), redisUrl, log, rootCA: caPem, ...opts.controllers }));
    await manager.add(createSync({ client: (userAgent) => api.client(SYNC_USER, userAgent), redisUrl, dataDir, log }));
    await manager.add(createScheduler({ client: api.client(SCHEDULER_USER, 'default-scheduler'), redisUrl, log }));
    for (const component of nodeComponents(api, { nodes: opts.nodes, runtime: opts.runtime, sim, dataDir, proxy: { host: opts.proxyHost ?? opts.host, nodePortAddresses: opts.nodePortAddresses, portRange: opts.proxyPortRange }, log })) await manager.add(component);
    const kubeconfig = join(dataDir, 'kubeconfig');
    writeKubeconfig(kubeconfig, api.url, token, caPem);
    log(`API server listening on ${api.url}`);
    log(`kubeconfig written to ${kubeconfig}: kubectl --kubeconfig ${kubeconfig} get ns`);
    if (opts.demo) await applyDemo(api.client(ADMIN_USER, 'berth-demo'), dataDir, log);
    return {
      api,
      redis,
      kubeconfig,
      async stop() {
        await manager.stop();
        await redis?.stop();
      },
    };
  } catch (e) {
    await manager.stop();
    await redis?.stop();
    throw e;
  }
}
