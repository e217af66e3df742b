/**
 * Records core/v1 Events about objects, so `kubectl describe` and `kubectl get events` show what a
 * component did and why. Repeats of the same event within a short window bump `count` on one Event
 * instead of creating new ones, as client-go's recorder does.
 */
import { randomBytes } from 'node:crypto';
import { StatusError } from '../api/errors.js';
import { timestamp } from '../api/metadata.js';
import type { KubeObject } from '../resources/types.js';
import type { Client } from './client.js';
import { refs } from './refs.js';

export type EventType = 'Normal' | 'Warning';

interface Seen {
  name: string;
  namespace: string;
  count: number;
  at: number;
}

/** Events identical in object, type, reason and message within this window are aggregated. */
const AGGREGATE_WINDOW_MS = 10 * 60 * 1000;

export class EventRecorder {
  private readonly recent = new Map<string, Seen>();

  /** `component` is the source (`replicaset-controller`, `default-scheduler`, `kubelet`); `host` the node for agents. */
  constructor(
    private readonly client: Client,
    private readonly component: string,
    private readonly host?: string,
  ) {}

  /** Records an event; failures are logged by the caller's choice, never thrown (events are best effort). */
  async record(obj: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const m = obj.metadata ?? {};
    const namespace = m.namespace || 'default';
    const key = `${m.uid}|${type}|${reason}|${message}`;
    const now = Date.now();
    const seen = this.recent.get(key);
    try {
      if (seen && now - seen.at < AGGREGATE_WINDOW_MS) {
        seen.count++;
        seen.at = now;
        await this.client.patch(refs.events, seen.name, 'merge', { count: seen.count, lastTimestamp: timestamp(now) }, { namespace: seen.namespace });
        return;
      }
      const name = `${m.name ?? 'object'}.${randomBytes(8).toString('hex')}`;
      const source: Record<string, string> = { component: this.component };
      if (this.host) source.host = this.host;
      await this.client.create(refs.events, {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace },
        involvedObject: { apiVersion: obj.apiVersion, kind: obj.kind, name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion },
        reason,
        message,
        type,
        source,
        count: 1,
        firstTimestamp: timestamp(now),
        lastTimestamp: timestamp(now),
        reportingComponent: this.component,
        reportingInstance: this.host ?? this.component,
      });
      this.recent.set(key, { name, namespace, count: 1, at: now });
      if (this.recent.size > 4096) this.recent.delete(this.recent.keys().next().value!);
    } catch (e) {
      if (e instanceof StatusError && e.reason === 'NotFound') this.recent.delete(key);
    }
  }
}
