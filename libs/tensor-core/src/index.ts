// @trm/tensor-core: tfjs ops with their gradients, the optimizers, checkpoints and the kernel layer beneath the ops.
// Browser-safe: nothing here imports Node (tools/boundaries.test.ts checks it); the Node side (backend selection on
// Node, the native addon, the worker bundler) is @trm/tensor-node.
export type { DType, TypedData, HostTensor, TensorDict } from './tensor-dict.ts';
export { numel } from './tensor-dict.ts';
export { linear, linearBackward } from './ops/linear.ts';
export { addRmsNormForward, rmsNorm, rmsNormBackward, rmsNormForward } from './ops/norm.ts';
export { ropeTables, ropeTablesHost, applyRope, ropeBackward, ropeForward } from './ops/rope.ts';
export type { RopeTables } from './ops/rope.ts';
export { attention, attentionBackward, attentionForward } from './ops/attention.ts';
export { swiglu, swigluBackward, swigluForward, swigluSplit, swigluInner, swigluValue } from './ops/swiglu.ts';
export type { SwigluGradSums } from './ops/swiglu.ts';
export { stablemaxCrossEntropyHost, bceWithLogitsHost, hostLoss, IGNORE_LABEL } from './ops/losses.ts';
export { embedding } from './ops/embedding.ts';
export { truncatedNormalHost } from './ops/init.ts';
export type { UniformSource } from './ops/init.ts';
export { allReduceSum, assignFrom, barrierWait, createBarrierState, createReduceBuffers, readInto, reduceChunk, tensorValues } from './parallel/index.ts';
export type { ReduceBuffers, Segment } from './parallel/index.ts';
export { adamAtan2Step, createAdamATan2 } from './optim/adam-atan2.ts';
export type { AdamATan2, AdamATan2Config } from './optim/adam-atan2.ts';
export { sparseSignSgdStep } from './optim/sign-sgd.ts';
export { cosineLrWithWarmup } from './optim/schedule.ts';
export type { LrSchedule } from './optim/schedule.ts';
export { createEma, emaStep } from './optim/ema.ts';
export type { Ema } from './optim/ema.ts';
export { encodeSafetensors, decodeSafetensors } from './checkpoint/safetensors.ts';
export type { DecodedSafetensors } from './checkpoint/safetensors.ts';
// the kernel layer: tfjs kernels of the wasm backend and the registries through which a provider adds fast ones
export { checkPrecision, installWasmKernels } from './kernels/install.ts';
export { bf16Available, bf16Round, precision, PRECISIONS, productsRounded, registerBf16Rounding, setPrecision, withUnroundedProducts } from './kernels/precision.ts';
export type { Precision } from './kernels/precision.ts';
export type { KernelChoice } from './kernels/install.ts';
export { createGemm } from './kernels/gemm/gemm.ts';
export type { Gemm, GemmConfig, GemmHeap } from './kernels/gemm/gemm.ts';
export { gemmActive, gemmChoice, gemmEngine, installWasmGemm, registerGemmEngine } from './kernels/matmul.ts';
export type { BatchedProduct, GemmChoice, GemmEngineFactory, GemmEngineOptions } from './kernels/matmul.ts';
export { addMatMul, setGemmAddend } from './kernels/matmul-add.ts';
export { heapOf, heapOffset } from './kernels/heap.ts';
export type { WasmBackendLike } from './kernels/heap.ts';
export { wasmKernelOverride } from './kernels/wasm-override.ts';
export type { WasmKernelOverride } from './kernels/wasm-override.ts';
export { registerFusedKernels } from './kernels/fused.ts';
export type { FusedKernelProvider, FusedKernels } from './kernels/fused.ts';
export { registerArrayKernels } from './kernels/array.ts';
export type { ArrayKernels } from './kernels/array.ts';
export { setWasmGather } from './kernels/gather.ts';
export { setWasmIdentity } from './kernels/identity.ts';
export { setWasmSlice } from './kernels/slice.ts';
