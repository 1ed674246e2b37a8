// Types of build.mjs for the TypeScript loader (src/ops/gemm/native.ts).
export function sourceHash(): string;
export function binaryPath(hash?: string): string;
export function buildNative(): string;
