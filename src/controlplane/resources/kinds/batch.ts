/** batch/v1: jobs and cron jobs. */
import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import { defaultCronJob, defaultJob } from '../defaults/workloads.js';
import { cronJobPrinter, jobPrinter } from '../tables/workloads.js';
import type { ResourceType } from '../types.js';
import { validateCronJob, validateJob, validateSelectorImmutable } from '../validation/workloads.js';
import { as, defineKind, fieldAt } from './define.js';

const batch = { group: 'batch', version: 'v1', namespaced: true, categories: ['all'], status: true };

export const batchKinds: ResourceType[] = [
  defineKind({
    ...batch,
    kind: 'Job',
    resource: 'jobs',
    printer: jobPrinter,
    fieldSelectors: { 'status.successful': fieldAt('status.succeeded', '0') },
    defaults: defaultJob,
    validate: (obj, old) => [...validateJob(as<Job>(obj)), ...(old ? validateSelectorImmutable(obj, old) : [])],
  }),
  defineKind({
    ...batch,
    kind: 'CronJob',
    resource: 'cronjobs',
    shortNames: ['cj'],
    printer: cronJobPrinter,
    defaults: defaultCronJob,
    validate: (obj) => validateCronJob(as<CronJob>(obj)),
  }),
];
