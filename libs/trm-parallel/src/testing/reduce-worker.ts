// Test-only worker: fills its slot of shared reduce buffers with a rank-dependent pattern and all-reduces (the
// replicas' pattern: nobody writes a slot again before every worker is done with the last sum).
import { allReduceSum, barrierWait, type ReduceBuffers } from '@trm/tensor-core';
import { serveRequests } from '../rpc.ts';

serveRequests({
  reduce({ buffers, rank, rounds }: { buffers: ReduceBuffers; rank: number; rounds: number }) {
    const checksums: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const mine = new Float32Array(buffers.length);
      for (let i = 0; i < mine.length; i++) mine[i] = Math.fround((rank + 1) * 1e7 + i * 0.1 + round);
      const half = rank % mine.length; // segments in any cut
      const sum = allReduceSum(buffers, rank, [{ start: half, values: mine.subarray(half) }, { start: 0, values: mine.subarray(0, half) }]);
      checksums.push(sum.reduce((a, b) => a + b, 0));
      barrierWait(buffers.barrier, buffers.world); // the sum lives in slot 0: everyone has read it before rank 0 rewrites it
    }
    return { value: checksums };
  },
  crash() {
    throw new Error('asked to fail');
  },
  exit() {
    process.exit(3);
  },
});
