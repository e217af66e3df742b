import type { Pod } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { makeNode, makePod, makeSnapshot, runFilter } from '../testing.js';
import { nodePorts } from './node-ports.js';

function withPorts(...ports: { hostPort: number; hostIP?: string; protocol?: string }[]): Pod {
  return makePod({ spec: { containers: [{ name: 'c', ports: ports.map((p) => ({ containerPort: 80, ...p })) }] } });
}

const CLASH = "node(s) didn't have free ports for the requested pod ports";

describe('NodePorts', () => {
  const snap = makeSnapshot([makeNode({ name: 'used' }), makeNode({ name: 'free' })], {
    used: [withPorts({ hostPort: 8080 }), withPorts({ hostPort: 53, protocol: 'UDP', hostIP: '10.0.0.1' })],
  });
  it.each([
    ['no host ports: anywhere', makePod(), { used: 'ok', free: 'ok' }],
    ['same port and protocol clashes', withPorts({ hostPort: 8080 }), { used: CLASH, free: 'ok' }],
    ['a specific address clashes with a wildcard', withPorts({ hostPort: 8080, hostIP: '10.0.0.2' }), { used: CLASH, free: 'ok' }],
    ['another protocol does not clash', withPorts({ hostPort: 8080, protocol: 'UDP' }), { used: 'ok', free: 'ok' }],
    ['a wildcard clashes with a specific address', withPorts({ hostPort: 53, protocol: 'UDP' }), { used: CLASH, free: 'ok' }],
    ['two specific addresses do not clash', withPorts({ hostPort: 53, protocol: 'UDP', hostIP: '10.0.0.3' }), { used: 'ok', free: 'ok' }],
  ])('%s', (_name, pod, want) => {
    expect(runFilter(nodePorts(), pod, snap)).toEqual(want);
  });
});
