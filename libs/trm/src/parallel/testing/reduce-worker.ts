// Test-only worker: fills its slot of shared reduce buffers with a rank-dependent pattern and all-reduces.
import { allReduceSum, reduceSlot, type ReduceBuffers } from '@trm/tensor-core';
import { serveRequests } from '../rpc.ts';

serveRequests({
  reduce({ buffers, rank, rounds }: { buffers: ReduceBuffers; rank: number; rounds: number }) {
    const checksums: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const slot = reduceSlot(buffers, rank);
      for (let i = 0; i < slot.length; i++) slot[i] = Math.fround((rank + 1) * 1e7 + i * 0.1 + round);
      const sum = allReduceSum(buffers, rank);
      checksums.push(sum.reduce((a, b) => a + b, 0));
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
