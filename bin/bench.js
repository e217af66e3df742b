#!/usr/bin/env node
// Runs a benchmark from bench/NAME.ts through tsx (as bin/berth.js runs the CLI), so
// `npm run bench -- NAME [args]` needs no build step. An unknown NAME lists what exists.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

const benchDir = fileURLToPath(new URL('../bench/', import.meta.url));
const available = readdirSync(benchDir)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'))
  .map((f) => f.slice(0, -'.ts'.length))
  .sort();

const [name, ...args] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  if (name) console.error(`bench: no benchmark named "${name}"`);
  console.error(`usage: npm run bench -- NAME [args]\navailable benchmarks: ${available.join(', ') || '(none)'}`);
  process.exit(2);
}

register();
// The benchmark sees its own arguments as process.argv.slice(2).
process.argv = [process.argv[0], fileURLToPath(new URL(`../bench/${name}.ts`, import.meta.url)), ...args];
await import(`../bench/${name}.ts`);
