// PyTorch's zip serialization (`torch.save` since 1.6), read without Python and written so that `torch.load` reads it.
//
// Layout: `<archive>/data.pkl` (a pickle of the saved object whose tensors are `torch._utils._rebuild_tensor_v2`
// calls over persistent ids ('storage', torch.<Type>Storage, key, location, numel)), one raw little-endian storage
// per key at `<archive>/data/<key>`, and `<archive>/version`. PyTorch 2.x adds `<archive>/byteorder`,
// `<archive>/.format_version` and `<archive>/.data/serialization_id`; `<archive>` is the file's stem (1.x) or
// "archive" (2.x). Entries are stored uncompressed with their data aligned to 64 bytes.
import { unzipSync, zipSync } from 'fflate';
import type { HostTensor, TensorDict } from '@trm/tensor-core';
import { ITEM_SIZE, decodeElements } from './dtypes.ts';
import type { SourceDType } from './dtypes.ts';
import { PickleError, PyDict, PyGlobal, PyTuple, unpickle } from './pickle.ts';
import type { GlobalHandler, PyValue } from './pickle.ts';

/** torch.<Type>Storage -> element type. */
const STORAGE_TYPES: Record<string, SourceDType> = {
  FloatStorage: 'float32', DoubleStorage: 'float64', HalfStorage: 'float16', BFloat16Storage: 'bfloat16',
  LongStorage: 'int64', IntStorage: 'int32', ShortStorage: 'int16', CharStorage: 'int8', ByteStorage: 'uint8', BoolStorage: 'bool',
};

interface StorageRef { readonly pyObject: 'storage'; dtype: SourceDType; key: string; numel: number }
interface TensorRef { readonly pyObject: 'tensor'; storage: StorageRef; offset: number; shape: number[]; stride: number[] }

export interface ReadTensors {
  /** floats widened to float32; int8/int16 widened to int32; int64, int32, uint8, bool kept */
  tensors: TensorDict;
  /** the element type each tensor had in the file */
  sourceDtypes: Record<string, SourceDType>;
}

export interface TorchZipContents extends ReadTensors {
  /** the zip's top folder (`step_5`, `archive`) */
  archive: string;
}

const isPlainInt = (v: PyValue): v is number => typeof v === 'number' && Number.isInteger(v);

function intTuple(v: PyValue, what: string, at: string): number[] {
  if (!(v instanceof PyTuple) || !v.items.every(isPlainInt)) throw new PickleError(`${at}: ${what} is not a tuple of integers`);
  return v.items as number[];
}

function torchGlobals(name: string): Record<string, GlobalHandler | null> {
  const globals: Record<string, GlobalHandler | null> = {
    'collections.OrderedDict': (args) => {
      const d = new PyDict();
      if (args.length > 0) throw new PickleError(`${name}: collections.OrderedDict called with arguments`);
      return d;
    },
    'torch._utils._rebuild_tensor_v2': (args, at) => {
      // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
      if (args.length < 6 || args.length > 7) throw new PickleError(`${at}: _rebuild_tensor_v2 with ${args.length} arguments (expected 6 or 7)`);
      const storage = args[0] as StorageRef;
      if (storage?.pyObject !== 'storage') throw new PickleError(`${at}: _rebuild_tensor_v2 of something that is not a storage`);
      if (!isPlainInt(args[1])) throw new PickleError(`${at}: storage_offset is not an integer`);
      const hooks = args[5];
      if (!(hooks instanceof PyDict) || hooks.entries.size > 0) throw new PickleError(`${at}: a tensor with backward hooks`);
      const ref: TensorRef = { pyObject: 'tensor', storage, offset: args[1] as number, shape: intTuple(args[2], 'size', at), stride: intTuple(args[3], 'stride', at) };
      if (ref.shape.length !== ref.stride.length) throw new PickleError(`${at}: size and stride differ in length`);
      return ref;
    },
  };
  for (const type of Object.keys(STORAGE_TYPES)) globals[`torch.${type}`] = null; // data only: named by persistent ids
  return globals;
}

function persistentLoad(pid: PyValue, at: string): StorageRef {
  const items = pid instanceof PyTuple ? pid.items : [];
  const [tag, type, key, , numel] = items;
  if (items.length !== 5 || tag !== 'storage' || !(type instanceof PyGlobal) || typeof key !== 'string' || !isPlainInt(numel)) {
    throw new PickleError(`${at}: persistent id is not ('storage', torch.<Type>Storage, key, location, numel)`);
  }
  const dtype = STORAGE_TYPES[type.name];
  if (type.module !== 'torch' || !dtype) throw new PickleError(`${at}: unknown storage type ${type.qualified}`);
  return { pyObject: 'storage', dtype, key, numel: numel as number };
}

const numelOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** A contiguous copy of a (possibly strided) view of a storage. */
function materialize(name: string, ref: TensorRef, storageBytes: Uint8Array, file: string): HostTensor {
  const { dtype, numel } = ref.storage;
  const size = ITEM_SIZE[dtype];
  if (storageBytes.length < numel * size) throw new Error(`${file}: storage ${ref.storage.key} of "${name}" has ${storageBytes.length} bytes, ${numel} ${dtype} elements need ${numel * size}`);
  const n = numelOf(ref.shape);
  // element index (in the storage) of every element of the view, row-major
  let contiguous = true;
  for (let d = ref.shape.length - 1, expect = 1; d >= 0; d--) {
    if (ref.shape[d] !== 1 && ref.stride[d] !== expect) contiguous = false;
    expect *= ref.shape[d];
  }
  let last = ref.offset;
  for (let d = 0; d < ref.shape.length; d++) if (ref.shape[d] > 0) last += (ref.shape[d] - 1) * ref.stride[d];
  if (n > 0 && (ref.offset < 0 || last >= numel || ref.stride.some((s) => s < 0))) {
    throw new Error(`${file}: "${name}" [${ref.shape}] at offset ${ref.offset} with strides [${ref.stride}] reaches outside its storage of ${numel} elements`);
  }
  let bytes: Uint8Array;
  if (contiguous) {
    bytes = storageBytes.subarray(ref.offset * size, (ref.offset + n) * size);
  } else {
    bytes = new Uint8Array(n * size);
    const index = new Array<number>(ref.shape.length).fill(0);
    for (let i = 0; i < n; i++) {
      let src = ref.offset;
      for (let d = 0; d < index.length; d++) src += index[d] * ref.stride[d];
      bytes.set(storageBytes.subarray(src * size, (src + 1) * size), i * size);
      for (let d = index.length - 1; d >= 0; d--) {
        if (++index[d] < ref.shape[d]) break;
        index[d] = 0;
      }
    }
  }
  return decodeElements(bytes, dtype, [...ref.shape]);
}

/** Read a PyTorch zip checkpoint holding a state dict (a dict or OrderedDict of tensors). `file` names it in errors. */
export function readTorchZip(bytes: Uint8Array, file = 'checkpoint'): TorchZipContents {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (e) {
    throw new Error(`${file}: not a readable zip file (${(e as Error).message})`);
  }
  const pickles = Object.keys(entries).filter((k) => /^[^/]+\/data\.pkl$/.test(k));
  if (pickles.length !== 1) {
    throw new Error(`${file}: not a PyTorch zip checkpoint: expected one <archive>/data.pkl, found ${pickles.length ? pickles.join(', ') : 'none'} among ${Object.keys(entries).slice(0, 5).join(', ')}${Object.keys(entries).length > 5 ? ', ...' : ''}`);
  }
  const archive = pickles[0].slice(0, -'/data.pkl'.length);
  const byteorder = entries[`${archive}/byteorder`];
  if (byteorder && new TextDecoder().decode(byteorder).trim() !== 'little') {
    throw new Error(`${file}: storages are ${new TextDecoder().decode(byteorder).trim()}-endian; only little-endian checkpoints are read`);
  }
  const root = unpickle(entries[pickles[0]], { globals: torchGlobals(file), persistentLoad, name: `${file}: ${pickles[0]}` });
  if (!(root instanceof PyDict)) throw new Error(`${file}: the pickled object is not a dict; expected a state dict (torch.save(model.state_dict(), ...))`);
  const tensors: TensorDict = {};
  const sourceDtypes: Record<string, SourceDType> = {};
  for (const [key, value] of root.entries) {
    const name = String(key);
    const ref = value as TensorRef;
    if (ref?.pyObject !== 'tensor') {
      const kind = value instanceof PyDict ? 'a dict' : Array.isArray(value) ? 'a list' : typeof value;
      throw new Error(`${file}: entry "${name}" is ${kind}, not a tensor; expected a state dict (torch.save(model.state_dict(), ...)), not a training checkpoint holding one`);
    }
    const storage = entries[`${archive}/data/${ref.storage.key}`];
    if (!storage) throw new Error(`${file}: "${name}" refers to storage ${archive}/data/${ref.storage.key}, which the zip does not hold`);
    tensors[name] = materialize(name, ref, storage, file);
    sourceDtypes[name] = ref.storage.dtype;
  }
  return { tensors, sourceDtypes, archive };
}

// ---- writing ----

const enc = new TextEncoder();

/** Protocol-2 pickle of an OrderedDict of float32 tensors, each over its own storage `data/<i>`, as torch.save writes it. */
function pickleStateDict(names: string[], shapes: number[][]): Uint8Array {
  const out: number[] = [0x80, 2];
  const u32 = (v: number) => out.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  const str = (s: string) => { const b = enc.encode(s); out.push(0x58); u32(b.length); out.push(...b); };
  const global = (module: string, name: string) => out.push(0x63, ...enc.encode(`${module}\n${name}\n`));
  const int = (v: number) => {
    if (!Number.isInteger(v) || v < 0) throw new Error(`writeTorchZip: ${v} is not a size`);
    if (v < 0x100) out.push(0x4b, v);
    else if (v < 0x10000) out.push(0x4d, v & 0xff, v >>> 8);
    else if (v < 0x80000000) { out.push(0x4a); u32(v); }
    else { // LONG1, little-endian two's complement
      const b: number[] = [];
      for (let x = BigInt(v); x > 0n; x >>= 8n) b.push(Number(x & 0xffn));
      if (b[b.length - 1] & 0x80) b.push(0);
      out.push(0x8a, b.length, ...b);
    }
  };
  const tuple = (items: number[]) => { out.push(0x28); items.forEach(int); out.push(0x74); };
  global('collections', 'OrderedDict');
  out.push(0x29, 0x52, 0x28); // () REDUCE MARK
  names.forEach((name, i) => {
    const shape = shapes[i];
    const stride = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
    str(name);
    global('torch._utils', '_rebuild_tensor_v2');
    out.push(0x28); // MARK of the argument tuple
    out.push(0x28); str('storage'); global('torch', 'FloatStorage'); str(String(i)); str('cpu'); int(numelOf(shape)); out.push(0x74, 0x51); // persistent id
    int(0);
    tuple(shape);
    tuple(stride);
    out.push(0x89); // requires_grad False
    global('collections', 'OrderedDict'); out.push(0x29, 0x52); // backward_hooks OrderedDict()
    out.push(0x74, 0x52); // TUPLE REDUCE
  });
  out.push(0x75, 0x2e); // SETITEMS STOP
  return Uint8Array.from(out);
}

const ALIGN = 64;
const PAD_FIELD = 0x4246; // "FB": the extra field torch.save pads local headers with

/**
 * A zip that `torch.load` reads as an OrderedDict of float32 tensors (the insertion order of `tensors`), laid out
 * as torch.save writes it: `<archive>/data.pkl`, `<archive>/byteorder`, `<archive>/data/<i>`, `<archive>/version`,
 * uncompressed, storages 64-byte aligned, fixed timestamps (same tensors, same bytes).
 */
export function writeTorchZip(tensors: TensorDict, opts: { archive?: string } = {}): Uint8Array {
  const archive = opts.archive ?? 'archive';
  if (!/^[\w.-]+$/.test(archive)) throw new Error(`writeTorchZip: archive name "${archive}" must be a plain folder name`);
  const names = Object.keys(tensors);
  for (const name of names) {
    const t = tensors[name];
    if (t.dtype !== 'float32' || !(t.data instanceof Float32Array)) throw new Error(`writeTorchZip: "${name}" is ${t.dtype}; only float32 tensors are written`);
    if (t.data.length !== numelOf(t.shape)) throw new Error(`writeTorchZip: "${name}" has ${t.data.length} values for shape [${t.shape}]`);
  }
  const files: [string, Uint8Array][] = [
    [`${archive}/data.pkl`, pickleStateDict(names, names.map((n) => tensors[n].shape))],
    [`${archive}/byteorder`, enc.encode('little')],
    ...names.map((n, i): [string, Uint8Array] => {
      const d = tensors[n].data as Float32Array;
      return [`${archive}/data/${i}`, new Uint8Array(d.buffer, d.byteOffset, d.byteLength)];
    }),
    [`${archive}/version`, enc.encode('3\n')],
  ];
  const mtime = new Date(1980, 0, 1, 0, 0, 0); // local time: the same DOS date fields in every time zone
  const input: Record<string, [Uint8Array, { level: 0; mtime: Date; extra?: Record<number, Uint8Array> }]> = {};
  let offset = 0;
  let total = 0;
  for (const [path, data] of files) {
    const headerEnd = offset + 30 + enc.encode(path).length;
    // an extra field of 4 + k bytes (k >= 0) moves the data to the next multiple of ALIGN
    const pad = (ALIGN - ((headerEnd + 4) % ALIGN)) % ALIGN;
    const extra = { [PAD_FIELD]: new Uint8Array(pad).fill(0x5a) };
    input[path] = [data, { level: 0, mtime, extra }];
    offset = headerEnd + 4 + pad + data.length;
    total += data.length;
  }
  if (total > 0xffff_0000) throw new Error(`writeTorchZip: ${total} bytes of tensors; files over 4 GiB (zip64) are not written`);
  return zipSync(input);
}
