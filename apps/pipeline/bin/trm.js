#!/usr/bin/env node
// Runs the TypeScript CLI through tsx (no build step). tsx is resolved from this file, so `trm` works from any
// folder (after `npm link`, or as node_modules/.bin/trm).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';

const main = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'main.ts');
const r = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), main, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
