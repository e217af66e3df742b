/** The address `berth up` and `berth apiserver` put in the `kubernetes` Service's Endpoints for --host. */
import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { machineAddress } from '../agent/node-object.js';
import { advertisedAddress } from './up.js';

describe('advertisedAddress', () => {
  it.each(['127.0.0.1', '::1', '10.1.2.3'])('keeps the IP %s', async (ip) => {
    expect(await advertisedAddress(ip)).toBe(ip);
  });

  it.each(['0.0.0.0', '::'])('advertises this machine for the unspecified %s', async (host) => {
    expect(await advertisedAddress(host)).toBe(machineAddress());
  });

  it('resolves a hostname to an IP (localhost: a loopback address)', async () => {
    const ip = await advertisedAddress('localhost');
    expect(isIP(ip)).not.toBe(0);
    expect(['127.0.0.1', '::1']).toContain(ip);
  });
});
