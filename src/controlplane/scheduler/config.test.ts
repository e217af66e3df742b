import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, profilesFrom } from './config.js';

const names = (p: ReturnType<typeof profilesFrom>[number]) => ({ filters: p.filters.map((f) => f.name), scores: p.scores.map((s) => `${s.plugin.name}:${s.weight}`) });

describe('scheduler configuration', () => {
  it('defaults to kube-scheduler’s default profile', () => {
    const [p] = profilesFrom();
    expect(p.schedulerName).toBe('default-scheduler');
    expect(p.percentageOfNodesToScore).toBe(0);
    expect(names(p)).toEqual({
      filters: ['NodeUnschedulable', 'NodeName', 'TaintToleration', 'NodeAffinity', 'NodePorts', 'NodeResourcesFit', 'VolumeBinding', 'PodTopologySpread', 'InterPodAffinity'],
      scores: ['TaintToleration:3', 'NodeAffinity:2', 'NodeResourcesFit:1', 'PodTopologySpread:2', 'InterPodAffinity:2', 'NodeResourcesBalancedAllocation:1'],
    });
  });

  it.each([
    ['disable a score plugin', { score: { disabled: [{ name: 'NodeResourcesBalancedAllocation' }] } }, (n: ReturnType<typeof names>) => expect(n.scores).not.toContain('NodeResourcesBalancedAllocation:1')],
    ['change a weight', { score: { enabled: [{ name: 'NodeResourcesFit', weight: 5 }] } }, (n: ReturnType<typeof names>) => expect(n.scores[2]).toBe('NodeResourcesFit:5')],
    ['disable every filter but one', { filter: { disabled: [{ name: '*' }], enabled: [{ name: 'NodeResourcesFit' }] } }, (n: ReturnType<typeof names>) => expect(n.filters).toEqual(['NodeResourcesFit'])],
    ['multiPoint disables both', { multiPoint: { disabled: [{ name: 'TaintToleration' }] } }, (n: ReturnType<typeof names>) => expect([...n.filters, ...n.scores].some((x) => x.startsWith('TaintToleration'))).toBe(false)],
  ])('%s', (_name, plugins, check) => {
    check(names(profilesFrom({ profiles: [{ plugins }] })[0]));
  });

  it('several profiles, by schedulerName, with their own percentage', () => {
    const ps = profilesFrom({ percentageOfNodesToScore: 30, profiles: [{}, { schedulerName: 'spread', percentageOfNodesToScore: 100 }] });
    expect(ps.map((p) => [p.schedulerName, p.percentageOfNodesToScore])).toEqual([
      ['default-scheduler', 30],
      ['spread', 100],
    ]);
  });

  it.each([
    [{ profiles: [{ plugins: { score: { enabled: [{ name: 'ImageLocalty' }] } } }] }, /unknown plugin "ImageLocalty"/],
    [{ profiles: [{ plugins: { score: { enabled: [{ name: 'NodeAffinity', weight: -1 }] } } }] }, /weight of NodeAffinity/],
    [{ percentageOfNodesToScore: 101 }, /percentageOfNodesToScore/],
  ])('rejects %j', (cfg, err) => {
    expect(() => profilesFrom(cfg)).toThrow(err);
  });

  it('reads YAML files and checks the kind', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sched-config-'));
    writeFileSync(join(dir, 'ok.yaml'), 'apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\npercentageOfNodesToScore: 50\n');
    writeFileSync(join(dir, 'bad.yaml'), 'kind: ConfigMap\n');
    expect(loadConfig(join(dir, 'ok.yaml')).percentageOfNodesToScore).toBe(50);
    expect(() => loadConfig(join(dir, 'bad.yaml'))).toThrow(/kind must be KubeSchedulerConfiguration/);
  });
});
