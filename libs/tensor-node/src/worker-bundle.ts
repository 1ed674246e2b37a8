// A worker thread's TypeScript entry as one plain ES module, so the worker loads no TypeScript hooks. Booting a
// worker through tsx (register() in the worker, then import the .ts entry) gives it its own module-hooks thread
// and transform caches: ~100 MB of RSS per worker, measured (bench/README.md, "memory"), where the same code
// bundled costs ~20 MB. esbuild (tsx's own transformer) bundles the entry and every workspace module it imports;
// packages stay external imports. The bundle is written to node_modules/.cache/trm-workers/<name>-<hash>.mjs,
// so that those imports (and a dynamic import of a package by name) resolve as from the sources. Each workspace
// module keeps its own `import.meta.url` (its source file's URL), so paths computed from it stay right.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, extname, join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface EsbuildPlugin {
  name: string;
  setup(build: {
    onResolve(o: { filter: RegExp }, f: (a: { path: string }) => { path: string; external: boolean } | undefined): void;
    onLoad(o: { filter: RegExp }, f: (a: { path: string }) => { contents: string; loader: 'ts' | 'js' } | undefined): void;
  }): void;
}

interface Esbuild {
  build(o: Record<string, unknown> & { plugins: EsbuildPlugin[] }): Promise<{ outputFiles: { text: string }[] }>;
}

const require = createRequire(import.meta.url);

/** esbuild as tsx resolves it (a dependency of tsx, which runs this code base) and the node_modules holding it. */
function esbuild(): { api: Esbuild; nodeModules: string } {
  const tsxPkg = require.resolve('tsx/package.json');
  const fromTsx = createRequire(tsxPkg);
  return { api: fromTsx('esbuild') as Esbuild, nodeModules: dirname(dirname(tsxPkg)) };
}

const inNodeModules = (path: string) => path.split(sep).includes('node_modules');

/**
 * tfjs-core's gradient registrations (extensionless ESM that Node cannot load as such): bundled into a worker that
 * imports them, with the tfjs-core modules they use (a second copy of the code, which tfjs-core supports: engine,
 * registries and the Tensor class live in globals), instead of the whole @tensorflow/tfjs package (~19 MB of RSS).
 */
export const GRADIENT_MODULE = '@tensorflow/tfjs-core/dist/register_all_gradients';

/** Packages (bare specifiers, node builtins) stay imports; @trm workspace packages and GRADIENT_MODULE are bundled. */
const externalPackages: EsbuildPlugin = {
  name: 'external-packages',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (a) => (a.path.startsWith('@trm/') || a.path === GRADIENT_MODULE ? undefined : { path: a.path, external: true }));
  },
};

/** Every workspace module's `import.meta.url` = its own source file's URL (not the bundle's). */
const ownImportMetaUrl: EsbuildPlugin = {
  name: 'own-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.(ts|mts|js|mjs)$/ }, (a) => {
      if (inNodeModules(a.path)) return undefined;
      const text = readFileSync(a.path, 'utf8').replace(/\bimport\.meta\.url\b/g, JSON.stringify(pathToFileURL(a.path).href));
      return { contents: text, loader: /\.m?ts$/.test(a.path) ? 'ts' : 'js' };
    });
  },
};

const bundles = new Map<string, Promise<URL>>();

async function bundle(entry: URL): Promise<URL> {
  const { api, nodeModules } = esbuild();
  const file = fileURLToPath(entry);
  let text: string;
  try {
    const out = await api.build({
      entryPoints: [file],
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      write: false,
      logLevel: 'silent',
      plugins: [externalPackages, ownImportMetaUrl],
    });
    text = out.outputFiles[0].text;
  } catch (err) {
    throw new Error(`bundleWorkerEntry: esbuild could not bundle ${file}: ${(err as Error).message}`);
  }
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  const dir = join(nodeModules, '.cache', 'trm-workers');
  const out = join(dir, `${basename(file, extname(file))}-${hash}.mjs`);
  if (!existsSync(out)) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${out}.tmp-${process.pid}`;
    writeFileSync(tmp, text);
    renameSync(tmp, out); // atomic: a process running the same code at the same time writes the same bytes
  }
  return pathToFileURL(out);
}

/**
 * The URL of a plain-JS bundle of the worker entry `entry` (a TypeScript module), to start with
 * `new Worker(url)`. Built once per entry and process (the file is reused while the code is unchanged).
 */
export function bundleWorkerEntry(entry: URL): Promise<URL> {
  let url = bundles.get(entry.href);
  if (!url) {
    url = bundle(entry);
    url.catch(() => bundles.delete(entry.href)); // a failed build is retried on the next call
    bundles.set(entry.href, url);
  }
  return url;
}
