/**
 * `berth repo create NAME`: a bare repository under the data dir whose post-receive hook tells the
 * running berth (its webhook listener, found through `<dataDir>/sync/webhook.json`) that a push
 * arrived, so `git push <path> main` deploys at once.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { webhookInfoPath } from '../sync.js';

/** The hook, CommonJS so no package.json above the data dir changes how node loads it. */
function hookScript(repoPath: string, infoPath: string): string {
  return `// berth post-receive hook: announces pushes to the running berth
const fs = require('fs');
let input = '';
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', async () => {
  let info;
  try {
    info = JSON.parse(fs.readFileSync(${JSON.stringify(infoPath)}, 'utf8'));
  } catch {
    console.log('berth: not running; the push is picked up when it polls');
    return;
  }
  for (const line of input.trim().split('\\n').filter(Boolean)) {
    const [before, after, ref] = line.split(' ');
    try {
      const res = await fetch(info.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer ' + info.token },
        body: JSON.stringify({ ref, before, after, repository: { clone_url: ${JSON.stringify(repoPath)} } }),
      });
      console.log('berth: ' + (await res.json()).message);
    } catch (e) {
      console.log('berth: cannot reach ' + info.url + ': ' + e.message);
    }
  }
});
`;
}

/** Creates the repository (idempotent for the hook) and returns its path, which is its push URL. */
export function createRepo(dataDir: string, name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) || name.endsWith('.git')) throw new Error(`repository name "${name}" must be letters, digits, '.', '_' or '-' (without .git)`);
  const path = resolve(dataDir, 'repos', `${name}.git`);
  if (!existsSync(join(path, 'HEAD'))) {
    mkdirSync(path, { recursive: true });
    execFileSync('git', ['init', '-q', '--bare', '-b', 'main', path]);
  }
  writeFileSync(join(path, 'hooks', 'post-receive.cjs'), hookScript(path, webhookInfoPath(resolve(dataDir))));
  const hook = join(path, 'hooks', 'post-receive');
  writeFileSync(hook, '#!/bin/sh\nexec node "$(dirname "$0")/post-receive.cjs"\n');
  chmodSync(hook, 0o755);
  return path;
}
