/**
 * The Priority admission plugin (Kubernetes' `Priority`): on pod create, resolves
 * `spec.priorityClassName` — or the globalDefault class when none is named — into `spec.priority`
 * and `spec.preemptionPolicy`, knowing the built-in system-cluster-critical and
 * system-node-critical classes; denies unknown classes and a priority that contradicts the class.
 * On PriorityClass writes it allows only one globalDefault. The scheduler orders its queue and
 * preempts by the priority resolved here.
 */
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import type { AdmissionPlugin } from '../api/admission.js';
import { StatusError } from '../api/errors.js';
import type { Client } from '../client/client.js';
import { refs } from '../client/refs.js';
import { Informer } from '../client/informer.js';
import type { KubeObject } from '../resources/types.js';
import type { Runnable } from '../runtime/runnable.js';

/** Classes every cluster has, with Kubernetes' values. */
export const SYSTEM_PRIORITY_CLASSES: Record<string, number> = {
  'system-cluster-critical': 2_000_000_000,
  'system-node-critical': 2_000_001_000,
};

/** How the plugin reads PriorityClasses (from the API, in-process). */
export interface PriorityClassSource {
  get(name: string): Promise<PriorityClass | undefined>;
  list(): Promise<PriorityClass[]>;
}

/** A source reading through a client (e.g. the API server's own in-process client). */
export function priorityClassesFromClient(client: () => Client): PriorityClassSource {
  return {
    get: (name) => client().find<PriorityClass>(refs.priorityclasses, name),
    list: async () => (await client().list<PriorityClass>(refs.priorityclasses)).items,
  };
}

/**
 * A source kept current by a list-watch cache, so resolving a pod's priority costs no API call on
 * the pod-create path (as kube-apiserver's plugin reads a lister). Until the cache has synced it
 * reads through the client.
 */
export class PriorityClassCache implements PriorityClassSource, Runnable {
  readonly name = 'priority-class cache';
  private informer?: Informer<PriorityClass & KubeObject>;
  private readonly fallback: PriorityClassSource;

  constructor(private readonly client: () => Client) {
    this.fallback = priorityClassesFromClient(client);
  }

  async start(signal: AbortSignal): Promise<void> {
    const informer = new Informer<PriorityClass & KubeObject>(this.client(), refs.priorityclasses);
    await informer.start(signal);
    this.informer = informer;
  }

  async stopped(): Promise<void> {
    await this.informer?.stopped();
  }

  async get(name: string): Promise<PriorityClass | undefined> {
    return this.informer ? this.informer.get(name) : this.fallback.get(name);
  }

  async list(): Promise<PriorityClass[]> {
    return this.informer ? this.informer.list() : this.fallback.list();
  }
}

interface PodSpecPriority {
  priorityClassName?: string;
  priority?: number;
  preemptionPolicy?: string;
}

const forbidden = (message: string) => new StatusError('Forbidden', message);

export function priorityAdmission(source: PriorityClassSource): AdmissionPlugin {
  return {
    name: 'Priority',
    async mutate(attrs) {
      if (attrs.operation !== 'CREATE' || attrs.subresource || attrs.type.group !== '' || attrs.type.resource !== 'pods' || !attrs.object) return;
      const spec = ((attrs.object.spec ??= {}) as PodSpecPriority);
      let name = spec.priorityClassName ?? '';
      let value: number;
      let policy = 'PreemptLowerPriority';
      if (!name) {
        // In a race two defaults may exist; Kubernetes takes the lower value.
        const defaults = (await source.list()).filter((c) => c.globalDefault).sort((a, b) => a.value - b.value);
        if (defaults.length === 0) {
          value = 0;
        } else {
          name = defaults[0].metadata?.name ?? '';
          value = defaults[0].value;
          policy = defaults[0].preemptionPolicy ?? policy;
        }
        // Pod defaulting already wrote priority 0 and PreemptLowerPriority; those are not the user's.
        if (spec.priority === 0) delete spec.priority;
        if (spec.preemptionPolicy === 'PreemptLowerPriority') delete spec.preemptionPolicy;
      } else {
        const pc = await source.get(name);
        if (pc) {
          value = pc.value;
          policy = pc.preemptionPolicy ?? policy;
        } else if (name in SYSTEM_PRIORITY_CLASSES) {
          value = SYSTEM_PRIORITY_CLASSES[name];
        } else {
          throw forbidden(`pods "${attrs.name}" is forbidden: no PriorityClass with name ${name} was found`);
        }
      }
      if (spec.priority !== undefined && spec.priority !== value) {
        throw forbidden(`pods "${attrs.name}" is forbidden: the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${value} from the given PriorityClass name`);
      }
      if (spec.preemptionPolicy !== undefined && spec.preemptionPolicy !== policy) {
        throw forbidden(`pods "${attrs.name}" is forbidden: the string value of PreemptionPolicy (${spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${policy} from the given PriorityClass name`);
      }
      if (name) spec.priorityClassName = name;
      spec.priority = value;
      spec.preemptionPolicy = policy;
    },
    async validate(attrs) {
      if (attrs.type.resource !== 'priorityclasses' || attrs.type.group !== 'scheduling.k8s.io' || (attrs.operation !== 'CREATE' && attrs.operation !== 'UPDATE')) return;
      const pc = attrs.object as PriorityClass | undefined;
      if (!pc?.globalDefault) return;
      const other = (await source.list()).find((c) => c.globalDefault && c.metadata?.name !== pc.metadata?.name);
      if (other) throw forbidden(`PriorityClass ${other.metadata?.name} is already marked as default. Only one default can exist`);
    },
  };
}
