// The backend identity in train/evaluate keys: on wasm it names the matmul kernel ($TRM_GEMM), since tensor-core's
// GEMM and tfjs's own round differently in the last bits and so give different artifacts.
import { afterEach, describe, expect, it } from 'vitest';
import type { ResolvedConfig } from '../config/load.ts';
import { runSummary } from '../report/summary.ts';
import { syntheticInput } from '../report/testing/synthetic.ts';
import { selectBackend } from './backend.ts';

const wasmConfig = { runtime: { backend: 'wasm' } } as unknown as ResolvedConfig;
const saved = process.env.TRM_GEMM;

afterEach(async () => {
  if (saved === undefined) delete process.env.TRM_GEMM;
  else process.env.TRM_GEMM = saved;
  await selectBackend(wasmConfig);
});

describe('backend key', () => {
  it('records the wasm matmul kernel, so TRM_GEMM=trm or tfjs gives another key', async () => {
    delete process.env.TRM_GEMM;
    const native = await selectBackend(wasmConfig); // the default here, where the addon builds
    process.env.TRM_GEMM = 'trm';
    const ours = await selectBackend(wasmConfig);
    process.env.TRM_GEMM = 'tfjs';
    const theirs = await selectBackend(wasmConfig);
    expect(native.name).toBe('wasm');
    expect(native.gemm).toMatch(/^native [0-9a-f]{8} (512|256|128)-bit \d+x\d+ kc\d+ mc\d+ nc\d+$/);
    expect(ours).toMatchObject({ name: 'wasm', gemm: 'trm' });
    expect(theirs).toMatchObject({ name: 'wasm', gemm: 'tfjs' });
    expect(theirs.version).toBe(ours.version);
  });

  it('the report names the kernel beside the backend', () => {
    const input = syntheticInput();
    const native = { name: 'wasm', version: '4.22.0', gemm: 'native 1ac49176 512-bit 12x32 kc512 mc96 nc2048' };
    expect(runSummary({ ...input, backend: native })).toContain("wasm 4.22.0 (matmul kernel: tensor-core's native GEMM (C++ addon, 1ac49176 512-bit 12x32 kc512 mc96 nc2048))");
    expect(runSummary({ ...input, backend: { name: 'wasm', version: '4.22.0', gemm: 'trm' } })).toContain("wasm 4.22.0 (matmul kernel: tensor-core's WebAssembly GEMM)");
    expect(runSummary({ ...input, backend: { name: 'cpu', version: '4.22.0' } })).not.toContain('matmul kernel');
  });
});
