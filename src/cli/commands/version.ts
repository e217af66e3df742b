/**
 * `berth version`: the berth version and the Kubernetes API version it serves.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { versionInfo } from '../../controlplane/api/discovery.js';

export function register(program: Command): void {
  program
    .command('version')
    .description('print the berth version and the Kubernetes version it is compatible with')
    .action(() => {
      const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
      console.log(`berth ${pkg.version} (Kubernetes API ${versionInfo().gitVersion})`);
    });
}
