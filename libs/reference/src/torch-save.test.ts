// Files written by PyTorch's own torch.save (when a python3 with torch is installed; Debian's python3-torch is 1.13):
// every element type the importer widens, views with strides and offsets into shared storages, read exactly.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCheckpoint } from './index.ts';

const SCRIPT = `
import sys, json, torch
from collections import OrderedDict
base = torch.randn(4, 6, generator=torch.Generator().manual_seed(0)) * 100
sd = OrderedDict([
  ('f32', base), ('f16', base.half()), ('bf16', base.bfloat16()), ('f64', base.double() / 3),
  ('transposed', base.t()), ('slice', base[1:3, 2:5]), ('row', base[2]), ('scalar', base[1, 1]),
])
torch.save(sd, sys.argv[1])
print(json.dumps({'torch': torch.__version__, 'tensors': {k: {'dtype': str(v.dtype), 'shape': list(v.shape), 'values': v.float().flatten().tolist()} for k, v in sd.items()}}))
`;

describe('torch.save files (python3 with torch, when installed)', () => {
  it('reads every tensor exactly: float16/bfloat16 widened, float64 rounded as torch rounds, views materialized', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'trm-torchsave-')), 'sd.pt');
    const runs = ['/usr/bin/python3', 'python3'].map((py) => ({ py, run: spawnSync(py, ['-c', SCRIPT, file], { encoding: 'utf8' }) }));
    const ran = runs.find((r) => !r.run.error && r.run.status === 0);
    if (!ran) {
      console.log(`skipped: no python3 with torch here (${runs.map((r) => `${r.py}: ${(r.run.stderr || r.run.error?.message || '').trim().split('\n').pop()}`).join('; ')}); apt-get install python3-torch enables this check`);
      return;
    }
    const seen = JSON.parse(ran.run.stdout.trim().split('\n').pop()!) as { torch: string; tensors: Record<string, { dtype: string; shape: number[]; values: number[] }> };
    const ck = readCheckpoint(new Uint8Array(fs.readFileSync(file)), file);
    expect(ck.format).toBe('pytorch-zip');
    expect(Object.keys(ck.tensors)).toEqual(Object.keys(seen.tensors));
    const types: Record<string, string> = { 'torch.float32': 'float32', 'torch.float16': 'float16', 'torch.bfloat16': 'bfloat16', 'torch.float64': 'float64' };
    for (const [k, want] of Object.entries(seen.tensors)) {
      expect(ck.sourceDtypes[k], k).toBe(types[want.dtype]);
      expect(ck.tensors[k].shape, k).toEqual(want.shape);
      expect(Array.from(ck.tensors[k].data as Float32Array), k).toEqual(want.values); // float32 values, exact as doubles
    }
    console.log(`torch ${seen.torch} (${ran.py}) wrote ${Object.keys(seen.tensors).length} tensors (${[...new Set(Object.values(ck.sourceDtypes))].join(', ')}), read exactly`);
  });
});
