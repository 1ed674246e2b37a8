// NumPy .npy writing, byte for byte as numpy's `np.save` writes (format 1.0; reading is @trm/dataset's parseNpy).
// The header is a Python dict literal with sorted keys, space-padded (numpy leaves room to grow the first axis to
// 21 digits) and ended by a newline so that the data starts at a multiple of 64 bytes.

export type NpyDescr = '|u1' | '|i1' | '<i4' | '<i8' | '<f4' | '<f8' | '|b1';

const ARRAY_ALIGN = 64;
const GROWTH_AXIS_MAX_DIGITS = 21;
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]; // \x93NUMPY, version 1.0

/** Python's repr of a shape tuple: (), (5,), (1000, 81). */
const shapeRepr = (shape: readonly number[]) => (shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`);

/** The header numpy writes before the data of a C-ordered array of `descr` and `shape`. */
export function npyHeader(descr: NpyDescr, shape: readonly number[]): Uint8Array {
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) throw new Error(`npyHeader: invalid shape [${shape}]`);
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeRepr(shape)}, }`;
  if (shape.length > 0) dict += ' '.repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length));
  const hlen = dict.length + 1; // + '\n'
  const pad = ARRAY_ALIGN - ((MAGIC.length + 2 + hlen) % ARRAY_ALIGN);
  const total = hlen + pad;
  if (total > 0xffff) throw new Error(`npyHeader: a header of ${total} bytes needs format 2.0`);
  const out = new Uint8Array(MAGIC.length + 2 + total);
  out.set(MAGIC);
  out[8] = total & 0xff;
  out[9] = total >> 8;
  for (let i = 0; i < dict.length; i++) out[10 + i] = dict.charCodeAt(i);
  out.fill(0x20, 10 + dict.length, out.length - 1);
  out[out.length - 1] = 0x0a;
  return out;
}

const ITEM: Record<NpyDescr, number> = { '|u1': 1, '|i1': 1, '|b1': 1, '<i4': 4, '<f4': 4, '<i8': 8, '<f8': 8 };

/** A whole .npy file. `data` holds the elements in C order (its bytes are written as they are, little-endian). */
export function encodeNpy(descr: NpyDescr, shape: readonly number[], data: ArrayBufferView): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (data.byteLength !== count * ITEM[descr]) throw new Error(`encodeNpy: ${data.byteLength} bytes of data for ${descr} [${shape}] (expected ${count * ITEM[descr]})`);
  const header = npyHeader(descr, shape);
  const out = new Uint8Array(header.length + data.byteLength);
  out.set(header);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), header.length);
  return out;
}
