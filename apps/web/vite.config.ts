// Vite builds the page `trm web` serves (apps/pipeline/src/cli/web.ts builds it once per code version).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  logLevel: 'warn',
  build: {
    target: 'es2022',
    // the .wasm binaries of tfjs-backend-wasm stay files (setWasmPaths points at them)
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 4096,
    reportCompressedSize: false,
    // no "JavaScript callbacks ran for ..." notes on every build
    rolldownOptions: { checks: { bundlerTimings: false } },
  },
});
