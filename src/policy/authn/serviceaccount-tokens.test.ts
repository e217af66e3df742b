import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ServiceAccountTokens } from './serviceaccount-tokens.js';
import { parseTokensFile } from './tokens-file.js';

const dir = mkdtempSync(join(tmpdir(), 'berth-sa-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sa = { namespace: 'ns', name: 'robot', uid: 'uid-1' };

describe('ServiceAccount JWTs', () => {
  it('issues a token that verifies as the ServiceAccount, and the key persists across restarts', async () => {
    const a = await ServiceAccountTokens.create(dir);
    const { token, expirationTimestamp } = await a.issue({ serviceAccount: sa, expirationSeconds: 600 });
    expect(Date.parse(expirationTimestamp) - Date.now()).toBeGreaterThan(590_000);
    const b = await ServiceAccountTokens.create(dir);
    const r = await b.verify(token);
    expect(r).toMatchObject({ user: { username: 'system:serviceaccount:ns:robot', uid: 'uid-1', groups: ['system:serviceaccounts', 'system:serviceaccounts:ns', 'system:authenticated'] } });
  });

  const cases: [string, (t: ServiceAccountTokens, now: { t: number }) => Promise<string>, RegExp][] = [
    ['expired', async (t, now) => {
      const { token } = await t.issue({ serviceAccount: sa, expirationSeconds: 600 });
      now.t += 601_000;
      return token;
    }, /exp/],
    ['another audience', async (t) => (await t.issue({ serviceAccount: sa, audiences: ['vault'] })).token, /audiences/],
    ['ServiceAccount recreated', async (t) => (await t.issue({ serviceAccount: { ...sa, uid: 'old' } })).token, /recreated/],
    ['ServiceAccount gone', async (t) => (await t.issue({ serviceAccount: { ...sa, name: 'gone' } })).token, /not found/],
    ['signed by another key', async () => (await (await ServiceAccountTokens.create(undefined)).issue({ serviceAccount: sa })).token, /signature/],
  ];
  for (const [name, make, err] of cases) {
    it(`refuses a token: ${name}`, async () => {
      const now = { t: Date.now() };
      const t = await ServiceAccountTokens.create(dir, { now: () => now.t, lookup: (ns, n) => (ns === 'ns' && n === 'robot' ? 'uid-1' : undefined) });
      const token = await make(t, now);
      const r = await t.verify(token);
      expect('error' in r && r.error).toMatch(err);
    });
  }

  it('accepts a token for an audience it names', async () => {
    const t = await ServiceAccountTokens.create(dir);
    const { token } = await t.issue({ serviceAccount: sa, audiences: ['vault'] });
    expect(await t.verify(token, ['vault'])).toMatchObject({ audiences: ['vault'] });
  });
});

describe('tokens file', () => {
  it('parses token,user,uid,"groups" lines with comments, adding system:authenticated', () => {
    const t = parseTokensFile('# users\nt1,alice,u1,"dev,ops"\nt2,bob,u2\n\n');
    expect(t).toEqual({ t1: { username: 'alice', uid: 'u1', groups: ['dev', 'ops', 'system:authenticated'] }, t2: { username: 'bob', uid: 'u2', groups: ['system:authenticated'] } });
  });
  it('names the line of a bad entry', () => {
    expect(() => parseTokensFile('t1,alice\nt1,bob', 'f')).toThrow('f:2: token repeated');
    expect(() => parseTokensFile('lonely', 'f')).toThrow('f:1:');
  });
});
