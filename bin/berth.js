#!/usr/bin/env node
// Runs the berth CLI from the TypeScript sources through tsx, so `npx berth` works right after
// `npm ci` with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv);
