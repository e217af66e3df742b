/**
 * The scheduler's configuration file, in kube-scheduler's KubeSchedulerConfiguration shape (YAML or
 * JSON): profiles by schedulerName, each enabling or disabling plugins per extension point
 * (`filter`, `score`, or `multiPoint` for both) with score weights, and percentageOfNodesToScore.
 * `disabled: [{name: "*"}]` drops the defaults; enabling a default plugin again changes its weight.
 *
 * ```yaml
 * apiVersion: kubescheduler.config.k8s.io/v1
 * kind: KubeSchedulerConfiguration
 * profiles:
 * - schedulerName: default-scheduler
 *   plugins:
 *     score:
 *       disabled: [{name: NodeResourcesBalancedAllocation}]
 *       enabled: [{name: NodeResourcesFit, weight: 5}]
 * ```
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { Profile } from './framework.js';
import { DEFAULT_FILTERS, DEFAULT_SCORES, PLUGINS } from './plugins/registry.js';
import type { FilterPlugin, Plugin, ScorePlugin } from './types.js';

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

interface PluginRef {
  name: string;
  weight?: number;
}

interface PluginSet {
  enabled?: PluginRef[];
  disabled?: PluginRef[];
}

/** The parts of KubeSchedulerConfiguration berth reads. */
export interface SchedulerConfiguration {
  apiVersion?: string;
  kind?: string;
  percentageOfNodesToScore?: number;
  profiles?: {
    schedulerName?: string;
    percentageOfNodesToScore?: number;
    plugins?: { filter?: PluginSet; score?: PluginSet; multiPoint?: PluginSet };
  }[];
}

function merge(defaults: PluginRef[], sets: (PluginSet | undefined)[], where: string): PluginRef[] {
  let out = defaults.map((p) => ({ ...p }));
  for (const set of sets) {
    if (!set) continue;
    for (const d of set.disabled ?? []) {
      if (d.name !== '*' && !PLUGINS[d.name]) throw new Error(`${where}: unknown plugin "${d.name}" in disabled`);
      out = d.name === '*' ? [] : out.filter((p) => p.name !== d.name);
    }
    for (const e of set.enabled ?? []) {
      if (!PLUGINS[e.name]) throw new Error(`${where}: unknown plugin "${e.name}" (known: ${Object.keys(PLUGINS).join(', ')})`);
      const i = out.findIndex((p) => p.name === e.name);
      if (i >= 0) out[i] = { name: e.name, weight: e.weight ?? out[i].weight };
      else out.push({ name: e.name, weight: e.weight });
    }
  }
  return out;
}

/** Builds the profiles a configuration describes (the default profile for `{}`). Throws on unknown plugins. */
export function profilesFrom(config: SchedulerConfiguration = {}): Profile[] {
  const profiles = config.profiles?.length ? config.profiles : [{}];
  return profiles.map((p, i) => {
    const schedulerName = p.schedulerName ?? DEFAULT_SCHEDULER_NAME;
    const where = `profiles[${i}] (${schedulerName})`;
    const instances = new Map<string, Plugin>();
    const instance = (name: string) => {
      if (!instances.has(name)) instances.set(name, PLUGINS[name]());
      return instances.get(name)!;
    };
    const multi = p.plugins?.multiPoint;
    const filters = merge(DEFAULT_FILTERS.map((name) => ({ name })), [multi, p.plugins?.filter], where).filter((r) => instance(r.name).filter);
    const scores = merge(DEFAULT_SCORES, [multi, p.plugins?.score], where).filter((r) => instance(r.name).score);
    for (const s of scores) if (s.weight !== undefined && (!Number.isInteger(s.weight) || s.weight < 0)) throw new Error(`${where}: weight of ${s.name} must be a whole number ≥ 0`);
    const pct = p.percentageOfNodesToScore ?? config.percentageOfNodesToScore ?? 0;
    if (!(pct >= 0 && pct <= 100)) throw new Error(`${where}: percentageOfNodesToScore must be within 0..100`);
    return {
      schedulerName,
      filters: filters.map((r) => instance(r.name) as FilterPlugin),
      scores: scores.map((r) => ({ plugin: instance(r.name) as ScorePlugin, weight: r.weight ?? 1 })),
      percentageOfNodesToScore: pct,
    };
  });
}

/** Reads a configuration file (YAML or JSON). */
export function loadConfig(path: string): SchedulerConfiguration {
  const doc = parse(readFileSync(path, 'utf8')) as unknown;
  if (doc === null || typeof doc !== 'object') throw new Error(`${path}: expected a KubeSchedulerConfiguration object`);
  const cfg = doc as SchedulerConfiguration;
  if (cfg.kind !== undefined && cfg.kind !== 'KubeSchedulerConfiguration') throw new Error(`${path}: kind must be KubeSchedulerConfiguration (got ${cfg.kind})`);
  return cfg;
}
