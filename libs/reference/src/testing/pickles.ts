// Hand-assembled pickles for the tests: a tiny assembler over opcode names, so each test pickle reads as the
// program it is.
const enc = new TextEncoder();

type Op =
  | ['PROTO', number] | ['FRAME', number] | ['GLOBAL', string, string] | ['STACK_GLOBAL'] | ['BINUNICODE', string]
  | ['SHORT_BINUNICODE', string] | ['BININT1', number] | ['BININT', number] | ['LONG1', number[]] | ['BINFLOAT', number]
  | ['INST', string, string] | [string];

const SIMPLE: Record<string, number> = {
  MARK: 0x28, STOP: 0x2e, TUPLE: 0x74, TUPLE1: 0x85, TUPLE2: 0x86, TUPLE3: 0x87, EMPTY_TUPLE: 0x29, EMPTY_DICT: 0x7d,
  EMPTY_LIST: 0x5d, REDUCE: 0x52, BUILD: 0x62, SETITEM: 0x73, SETITEMS: 0x75, APPEND: 0x61, APPENDS: 0x65,
  MEMOIZE: 0x94, NONE: 0x4e, NEWTRUE: 0x88, NEWFALSE: 0x89, BINPERSID: 0x51, OBJ: 0x6f, NEWOBJ: 0x81, POP: 0x30,
  DUP: 0x32, LIST: 0x6c, DICT: 0x64,
};

export function assemble(...ops: Op[]): Uint8Array {
  const out: number[] = [];
  const u32 = (v: number) => out.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  for (const op of ops) {
    const [name] = op;
    switch (name) {
      case 'PROTO': out.push(0x80, op[1] as number); break;
      case 'FRAME': out.push(0x95); for (let i = 0; i < 8; i++) out.push(i === 0 ? (op[1] as number) : 0); break;
      case 'GLOBAL': out.push(0x63, ...enc.encode(`${op[1]}\n${op[2]}\n`)); break;
      case 'INST': out.push(0x69, ...enc.encode(`${op[1]}\n${op[2]}\n`)); break;
      case 'STACK_GLOBAL': out.push(0x93); break;
      case 'BINUNICODE': { const b = enc.encode(op[1] as string); out.push(0x58); u32(b.length); out.push(...b); break; }
      case 'SHORT_BINUNICODE': { const b = enc.encode(op[1] as string); out.push(0x8c, b.length, ...b); break; }
      case 'BININT1': out.push(0x4b, op[1] as number); break;
      case 'BININT': out.push(0x4a); u32(op[1] as number); break;
      case 'LONG1': out.push(0x8a, (op[1] as number[]).length, ...(op[1] as number[])); break;
      case 'BINFLOAT': { const b = new Uint8Array(8); new DataView(b.buffer).setFloat64(0, op[1] as number, false); out.push(0x47, ...b); break; }
      default:
        if (!(name in SIMPLE)) throw new Error(`assemble: unknown op ${name}`);
        out.push(SIMPLE[name]);
    }
  }
  return Uint8Array.from(out);
}

/** `module.name(command)` as pickle.loads would run it: GLOBAL + REDUCE (protocol 2). */
export const callPickle = (module: string, name: string, command: string): Uint8Array =>
  assemble(['PROTO', 2], ['GLOBAL', module, name], ['BINUNICODE', command], ['TUPLE1'], ['REDUCE'], ['STOP']);

/** The same call through protocol 4's STACK_GLOBAL. */
export const stackGlobalPickle = (module: string, name: string, command: string): Uint8Array =>
  assemble(['PROTO', 4], ['SHORT_BINUNICODE', module], ['MEMOIZE'], ['SHORT_BINUNICODE', name], ['MEMOIZE'], ['STACK_GLOBAL'], ['MEMOIZE'],
    ['SHORT_BINUNICODE', command], ['MEMOIZE'], ['TUPLE1'], ['REDUCE'], ['STOP']);
