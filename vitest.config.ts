import { defineConfig } from 'vitest/config';

// One vitest project per lib/app (unit tests, seconds each) plus `parity`, which replays
// every fixture in ../shared/fixtures/parity against libs/trm.
const units = ['tensor-core', 'tensor-node', 'trm', 'trm-config', 'trm-parallel', 'augment', 'dataset', 'sudoku', 'maze', 'arc', 'reference'].map((name) => ({
  test: { name, root: `libs/${name}`, include: ['src/**/*.test.ts'], testTimeout: 60_000 },
}));

export default defineConfig({
  test: {
    projects: [
      ...units,
      { test: { name: 'pipeline', root: 'apps/pipeline', include: ['src/**/*.test.ts'], testTimeout: 300_000, hookTimeout: 300_000 } },
      // the web app in Debian's Chromium (skips itself, with one line, when there is none)
      { test: { name: 'web', root: 'apps/web', include: ['e2e/**/*.test.ts'], testTimeout: 900_000, hookTimeout: 600_000 } },
      { test: { name: 'workspace', root: 'tools', include: ['**/*.test.ts'], testTimeout: 60_000 } },
      { test: { name: 'parity', root: 'libs/trm', include: ['parity/**/*.test.ts'], testTimeout: 600_000 } },
    ],
  },
});
