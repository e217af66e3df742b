/**
 * The checks the apiserver makes before it connects a client to a pod's streams (pods/exec,
 * pods/attach: pkg/registry/core/pod/strategy.go ExecLocation/AttachLocation): the container
 * defaults to the only one, must exist, and an exec needs a command and at least one stream.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { errors } from '../errors.js';
import type { RemoteCommandOptions } from './session.js';

function flag(q: URLSearchParams, k: string): boolean {
  const v = q.get(k);
  return v === 'true' || v === '1';
}

/** The container a stream request is for; throws BadRequest as the apiserver words it. */
export function streamContainer(pod: Pod, requested: string | null): string {
  const name = pod.metadata?.name ?? '';
  const containers = pod.spec?.containers ?? [];
  const inits = pod.spec?.initContainers ?? [];
  const ephemeral = (pod.spec as { ephemeralContainers?: { name: string }[] } | undefined)?.ephemeralContainers ?? [];
  let container = requested ?? '';
  if (!container) {
    if (containers.length === 1) container = containers[0].name;
    else {
      let msg = `a container name must be specified for pod ${name}, choose one of: [${containers.map((c) => c.name).join(' ')}]`;
      if (inits.length) msg += ` or one of the init containers: [${inits.map((c) => c.name).join(' ')}]`;
      throw errors.badRequest(msg);
    }
  }
  if (![...containers, ...inits, ...ephemeral].some((c) => c.name === container)) throw errors.badRequest(`container ${container} is not valid for pod ${name}`);
  return container;
}

/** pods/exec or pods/attach query → options; throws BadRequest on what the apiserver refuses. */
export function remoteCommandOptions(subresource: 'exec' | 'attach', pod: Pod, q: URLSearchParams): RemoteCommandOptions {
  const opts: RemoteCommandOptions = {
    container: streamContainer(pod, q.get('container')),
    command: q.getAll('command'),
    stdin: flag(q, 'stdin'),
    stdout: flag(q, 'stdout'),
    stderr: flag(q, 'stderr'),
    tty: flag(q, 'tty'),
  };
  if (subresource === 'exec' && opts.command.length === 0) throw errors.badRequest('you must specify at least 1 command');
  if (!opts.stdin && !opts.stdout && !opts.stderr) throw errors.badRequest('you must specify at least one of stdin, stdout, stderr');
  return opts;
}
