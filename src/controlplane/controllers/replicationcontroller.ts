/**
 * The ReplicationController controller: the ReplicaSet machinery (replicaset.ts) with an RC's
 * equality-based selector (a plain label map, defaulting to the template's labels).
 */
import { refs } from '../client/refs.js';
import { labelSelectorFromObject } from '../store/selectors.js';
import type { Controller } from './runtime/controller.js';
import { replicaController } from './replicaset.js';

export const replicationControllerController = (): Controller =>
  replicaController({
    name: 'replicationcontroller-controller',
    ref: refs.replicationcontrollers,
    apiVersion: 'v1',
    kind: 'ReplicationController',
    selector: (o) => {
      const spec = (o.spec ?? {}) as { selector?: Record<string, string>; template?: { metadata?: { labels?: Record<string, string> } } };
      return labelSelectorFromObject({ matchLabels: spec.selector ?? spec.template?.metadata?.labels ?? {} });
    },
  });
