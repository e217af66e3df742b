/**
 * Tables of the workload kinds, column for column as kubectl's server-side printers
 * (printDeployment, printReplicaSet, printReplicationController, printDaemonSet, printStatefulSet,
 * printJob, printCronJob, printControllerRevision).
 */
import type { ControllerRevision, DaemonSet, Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { CronJob, Job, JobCondition } from 'kubernetes-types/batch/v1.js';
import type { ReplicationController } from 'kubernetes-types/core/v1.js';
import { formatLabels, selectorString } from '../selectors.js';
import type { KubeObject, TablePrinter } from '../types.js';
import { humanDuration, since } from './age.js';
import { AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN, NAME_COLUMN, SELECTOR_COLUMN, ageOf, column, containersAndImages, nameOf } from './columns.js';

const n = (v: number | undefined | null): number => v ?? 0;

export const deploymentPrinter: TablePrinter = {
  columns: [
    NAME_COLUMN,
    column('Ready', 'Number of the pod with ready state'),
    column('Up-to-date', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
    column('Available', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    SELECTOR_COLUMN,
  ],
  cells(obj: KubeObject, now: number): unknown[] {
    const d = obj as unknown as Deployment;
    const [containers, images] = containersAndImages(d.spec?.template?.spec);
    return [
      nameOf(obj),
      `${n(d.status?.readyReplicas)}/${n(d.spec?.replicas)}`,
      n(d.status?.updatedReplicas),
      n(d.status?.availableReplicas),
      ageOf(obj, now),
      containers,
      images,
      selectorString(d.spec?.selector),
    ];
  },
};

const replicaColumns = [
  NAME_COLUMN,
  column('Desired', 'Replicas is the number of desired replicas.', { type: 'integer' }),
  column('Current', 'Replicas is the most recently observed number of replicas.', { type: 'integer' }),
  column('Ready', 'The number of ready replicas for this replica set.', { type: 'integer' }),
  AGE_COLUMN,
  CONTAINERS_COLUMN,
  IMAGES_COLUMN,
  SELECTOR_COLUMN,
];

export const replicaSetPrinter: TablePrinter = {
  columns: replicaColumns,
  cells(obj: KubeObject, now: number): unknown[] {
    const rs = obj as unknown as ReplicaSet;
    const [containers, images] = containersAndImages(rs.spec?.template?.spec);
    return [nameOf(obj), n(rs.spec?.replicas), n(rs.status?.replicas), n(rs.status?.readyReplicas), ageOf(obj, now), containers, images, selectorString(rs.spec?.selector)];
  },
};

export const replicationControllerPrinter: TablePrinter = {
  columns: replicaColumns,
  cells(obj: KubeObject, now: number): unknown[] {
    const rc = obj as unknown as ReplicationController;
    const [containers, images] = containersAndImages(rc.spec?.template?.spec);
    const selector = Object.keys(rc.spec?.selector ?? {}).length ? formatLabels(rc.spec?.selector) : '';
    return [nameOf(obj), n(rc.spec?.replicas), n(rc.status?.replicas), n(rc.status?.readyReplicas), ageOf(obj, now), containers, images, selector];
  },
};

export const daemonSetPrinter: TablePrinter = {
  columns: [
    NAME_COLUMN,
    column('Desired', 'The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod).', { type: 'integer' }),
    column('Current', 'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.', { type: 'integer' }),
    column('Ready', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.', { type: 'integer' }),
    column('Up-to-date', 'The total number of nodes that are running updated daemon pod', { type: 'integer' }),
    column('Available', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)', { type: 'integer' }),
    column('Node Selector', 'NodeSelector is a selector which must be true for the pod to fit on a node.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    SELECTOR_COLUMN,
  ],
  cells(obj: KubeObject, now: number): unknown[] {
    const ds = obj as unknown as DaemonSet;
    const s = ds.status;
    const [containers, images] = containersAndImages(ds.spec?.template?.spec);
    return [
      nameOf(obj),
      n(s?.desiredNumberScheduled),
      n(s?.currentNumberScheduled),
      n(s?.numberReady),
      n(s?.updatedNumberScheduled),
      n(s?.numberAvailable),
      formatLabels(ds.spec?.template?.spec?.nodeSelector),
      ageOf(obj, now),
      containers,
      images,
      selectorString(ds.spec?.selector),
    ];
  },
};

export const statefulSetPrinter: TablePrinter = {
  columns: [NAME_COLUMN, column('Ready', 'Number of the pod with ready state'), AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN],
  cells(obj: KubeObject, now: number): unknown[] {
    const sts = obj as unknown as StatefulSet;
    const [containers, images] = containersAndImages(sts.spec?.template?.spec);
    return [nameOf(obj), `${n(sts.status?.readyReplicas)}/${n(sts.spec?.replicas)}`, ageOf(obj, now), containers, images];
  },
};

function hasCondition(conditions: JobCondition[] | undefined, type: string): boolean {
  return (conditions ?? []).some((c) => c.type === type && c.status === 'True');
}

function jobStatus(job: Job): string {
  const c = job.status?.conditions;
  if (hasCondition(c, 'Complete')) return 'Complete';
  if (hasCondition(c, 'Failed')) return 'Failed';
  if (job.metadata?.deletionTimestamp) return 'Terminating';
  if (hasCondition(c, 'Suspended')) return 'Suspended';
  if (hasCondition(c, 'FailureTarget')) return 'FailureTarget';
  if (hasCondition(c, 'SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  return 'Running';
}

function jobCompletions(job: Job): string {
  const succeeded = n(job.status?.succeeded);
  if (job.spec?.completions !== undefined && job.spec.completions !== null) return `${succeeded}/${job.spec.completions}`;
  const parallelism = n(job.spec?.parallelism);
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function jobDuration(job: Job, now: number): string {
  const start = job.status?.startTime;
  if (!start) return '';
  const end = job.status?.completionTime;
  return humanDuration((end ? Date.parse(end) : now) - Date.parse(start));
}

export const jobPrinter: TablePrinter = {
  columns: [
    NAME_COLUMN,
    column('Status', 'Status of the job.'),
    column('Completions', 'The desired number of successfully finished pods the job should be run with.'),
    column('Duration', 'Time required to complete the job.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    SELECTOR_COLUMN,
  ],
  cells(obj: KubeObject, now: number): unknown[] {
    const job = obj as unknown as Job;
    const [containers, images] = containersAndImages(job.spec?.template?.spec);
    return [nameOf(obj), jobStatus(job), jobCompletions(job), jobDuration(job, now), ageOf(obj, now), containers, images, selectorString(job.spec?.selector)];
  },
};

export const cronJobPrinter: TablePrinter = {
  columns: [
    NAME_COLUMN,
    column('Schedule', 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.'),
    column('Timezone', 'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones.'),
    column('Suspend', 'This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.  Defaults to false.', { type: 'boolean' }),
    column('Active', 'A list of pointers to currently running jobs.', { type: 'integer' }),
    column('Last Schedule', 'Information when was the last time the job was successfully scheduled.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    SELECTOR_COLUMN,
  ],
  cells(obj: KubeObject, now: number): unknown[] {
    const cj = obj as unknown as CronJob;
    const jobSpec = cj.spec?.jobTemplate?.spec;
    const [containers, images] = containersAndImages(jobSpec?.template?.spec);
    const suspend = cj.spec?.suspend === undefined || cj.spec?.suspend === null ? '<unset>' : cj.spec.suspend ? 'True' : 'False';
    const last = cj.status?.lastScheduleTime ? since(cj.status.lastScheduleTime, now) : '<none>';
    return [
      nameOf(obj),
      cj.spec?.schedule ?? '',
      cj.spec?.timeZone || '<none>',
      suspend,
      (cj.status?.active ?? []).length,
      last,
      ageOf(obj, now),
      containers,
      images,
      selectorString(jobSpec?.selector),
    ];
  },
};

export const controllerRevisionPrinter: TablePrinter = {
  columns: [
    NAME_COLUMN,
    column('Controller', 'Controller of the object'),
    column('Revision', 'Revision indicates the revision of the state represented by Data.'),
    AGE_COLUMN,
  ],
  cells(obj: KubeObject, now: number): unknown[] {
    const cr = obj as unknown as ControllerRevision;
    const ref = cr.metadata?.ownerReferences?.find((r) => r.controller);
    let controller = '<none>';
    if (ref) {
      const group = ref.apiVersion.includes('/') ? ref.apiVersion.split('/')[0] : '';
      controller = `${(group ? `${ref.kind}.${group}` : ref.kind).toLowerCase()}/${ref.name}`;
    }
    return [nameOf(obj), controller, n(cr.revision), ageOf(obj, now)];
  },
};
