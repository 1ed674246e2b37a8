// A tiny WebAssembly binary writer: just the sections, opcodes and encodings the GEMM kernel needs.
// Spec: https://webassembly.github.io/spec/core/binary/ (MVP + fixed-width SIMD, opcode prefix 0xFD).

export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;
export type ValType = typeof I32 | typeof F32 | typeof V128;

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 for 32-bit values. */
export function sleb(n: number): number[] {
  const out: number[] = [];
  n |= 0;
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    const done = (n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function utf8(s: string): number[] {
  const bytes = [...new TextEncoder().encode(s)];
  return [...uleb(bytes.length), ...bytes];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

/** A function body under construction; each method appends one instruction. */
export class Code {
  readonly bytes: number[] = [];
  private readonly locals: ValType[] = [];

  constructor(private readonly nParams: number) {}

  /** Declare a local; returns its index (after the parameters). */
  local(type: ValType): number {
    this.locals.push(type);
    return this.nParams + this.locals.length - 1;
  }

  private emit(...b: number[]): this {
    for (const x of b) this.bytes.push(x);
    return this;
  }

  // control
  block(): this { return this.emit(0x02, 0x40); }
  loop(): this { return this.emit(0x03, 0x40); }
  if_(): this { return this.emit(0x04, 0x40); }
  else_(): this { return this.emit(0x05); }
  end(): this { return this.emit(0x0b); }
  br(depth: number): this { return this.emit(0x0c, ...uleb(depth)); }
  brIf(depth: number): this { return this.emit(0x0d, ...uleb(depth)); }

  // variables
  get(i: number): this { return this.emit(0x20, ...uleb(i)); }
  set(i: number): this { return this.emit(0x21, ...uleb(i)); }
  tee(i: number): this { return this.emit(0x22, ...uleb(i)); }

  // i32
  i32(n: number): this { return this.emit(0x41, ...sleb(n)); }
  i32Eqz(): this { return this.emit(0x45); }
  i32Eq(): this { return this.emit(0x46); }
  i32LtS(): this { return this.emit(0x48); }
  i32GtS(): this { return this.emit(0x4a); }
  i32GeS(): this { return this.emit(0x4e); }
  i32Add(): this { return this.emit(0x6a); }
  i32Sub(): this { return this.emit(0x6b); }
  i32Mul(): this { return this.emit(0x6c); }
  i32And(): this { return this.emit(0x71); }

  // f32 (alignment hint 2 = 4 bytes)
  f32Load(offset = 0): this { return this.emit(0x2a, 2, ...uleb(offset)); }
  f32Store(offset = 0): this { return this.emit(0x38, 2, ...uleb(offset)); }
  f32Add(): this { return this.emit(0x92); }
  f32Const(x: number): this { return this.emit(0x43, ...new Uint8Array(new Float32Array([x]).buffer)); }
  /** pops a, b, cond; pushes cond ? a : b */
  select(): this { return this.emit(0x1b); }

  // SIMD (alignment hint 4 = 16 bytes for whole vectors, 2 for a splatted lane)
  private simd(op: number, ...rest: number[]): this { return this.emit(0xfd, ...uleb(op), ...rest); }
  v128Load(offset = 0): this { return this.simd(0x00, 4, ...uleb(offset)); }
  v128Load32Splat(offset = 0): this { return this.simd(0x09, 2, ...uleb(offset)); }
  v128Store(offset = 0): this { return this.simd(0x0b, 4, ...uleb(offset)); }
  v128Zero(): this { return this.simd(0x0c, ...new Array<number>(16).fill(0)); }
  f32x4Add(): this { return this.simd(0xe4); }
  f32x4Mul(): this { return this.simd(0xe6); }
  /** relaxed-simd a*b+c (fused on x86 with FMA); needs --experimental-wasm-relaxed-simd on Node 20 */
  f32x4RelaxedMadd(): this { return this.simd(0x105); }

  /** locals declaration + instructions + end, as the code section wants it */
  body(): number[] {
    const groups: number[][] = this.locals.map((t) => [1, t]);
    const inner = [...vec(groups), ...this.bytes, 0x0b];
    return [...uleb(inner.length), ...inner];
  }
}

export interface FuncDef {
  name: string;
  params: ValType[];
  results: ValType[];
  code: Code;
}

/** A module importing `env.memory` (any size) and exporting the given functions. */
export function moduleBytes(funcs: FuncDef[]): Uint8Array {
  const types = section(1, vec(funcs.map((f) => [0x60, ...vec(f.params.map((t) => [t])), ...vec(f.results.map((t) => [t]))])));
  const imports = section(2, vec([[...utf8('env'), ...utf8('memory'), 0x02, 0x00, ...uleb(0)]]));
  const functions = section(3, vec(funcs.map((_, i) => uleb(i))));
  const exports = section(7, vec(funcs.map((f, i) => [...utf8(f.name), 0x00, ...uleb(i)])));
  const code = section(10, vec(funcs.map((f) => f.code.body())));
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...types, ...imports, ...functions, ...exports, ...code]);
}
