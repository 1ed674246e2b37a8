// Start a worker thread whose entry is a TypeScript module. Node 20 does not apply `--import tsx` from a worker's
// execArgv before loading its entry, so the worker boots from a two-line script that registers tsx's ESM hooks
// (resolved from this package, so the current directory does not matter) and then imports the entry.
import { Worker, type Transferable } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

function tsxApiUrl(): string {
  const pkgPath = require.resolve('tsx/package.json');
  const pkg = require(pkgPath) as { exports: Record<string, { import?: { default: string } }> };
  const entry = pkg.exports['./esm/api']?.import?.default;
  if (!entry) throw new Error(`spawnTsWorker: ${pkgPath} has no "./esm/api" import export (tsx 4 expected)`);
  return pathToFileURL(join(dirname(pkgPath), entry)).href;
}

export function spawnTsWorker(entry: URL, workerData: unknown, transferList: Transferable[] = []): Worker {
  const boot = [
    `import(${JSON.stringify(tsxApiUrl())})`,
    `.then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`,
  ].join('');
  return new Worker(boot, { eval: true, workerData, transferList: transferList as never });
}
