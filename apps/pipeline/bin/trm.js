#!/usr/bin/env node
// The `trm` CLI as an executable. It runs the TypeScript sources in this process through tsx's loader (no build
// step; tsx is resolved from this file, so `trm` works from any folder, after `npm link` or as node_modules/.bin/trm).
// In one process, SIGINT, SIGTERM and SIGHUP reach the pipeline itself, which stops at a checkpoint, and the exit code
// is its own.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/main.ts');
await runCli(process.argv);
