// NumPy .npy (format 1.0-3.0) reader for the reference builder's output folders.

export interface NpyArray {
  dtype: 'int8' | 'uint8' | 'int16' | 'int32' | 'int64' | 'float32' | 'float64' | 'bool';
  shape: number[];
  /** int64 arrays are returned as Float64Array (exact up to 2^53), bool as Uint8Array */
  data: Int8Array | Uint8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

const DTYPES: Record<string, NpyArray['dtype']> = {
  '|i1': 'int8', '|u1': 'uint8', '<i2': 'int16', '<i4': 'int32', '<i8': 'int64',
  '<f4': 'float32', '<f8': 'float64', '|b1': 'bool',
};

/** Parse the bytes of a .npy file; `name` is used in error messages. */
export function parseNpy(bytes: Uint8Array, name = 'array.npy'): NpyArray {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || magic.some((m, i) => bytes[i] !== m)) {
    throw new Error(`${name}: not a .npy file (missing \\x93NUMPY magic)`);
  }
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  const header = new TextDecoder('latin1').decode(bytes.subarray(headerStart, headerStart + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new Error(`${name}: unreadable .npy header: ${header.trim()}`);
  if (fortran === 'True') throw new Error(`${name}: Fortran-ordered arrays are not supported`);
  const dtype = DTYPES[descr];
  if (!dtype) throw new Error(`${name}: dtype ${descr} is not supported (expected one of ${Object.keys(DTYPES).join(', ')})`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const offset = headerStart + headerLen;
  const itemSize = { int8: 1, uint8: 1, bool: 1, int16: 2, int32: 4, float32: 4, int64: 8, float64: 8 }[dtype];
  if (bytes.length - offset < count * itemSize) {
    throw new Error(`${name}: truncated: header promises ${count} x ${itemSize} bytes, file has ${bytes.length - offset}`);
  }
  const body = new Uint8Array(count * itemSize); // a copy into an aligned buffer of its own (Buffer.slice would share)
  body.set(bytes.subarray(offset, offset + count * itemSize));
  const buf = body.buffer;
  switch (dtype) {
    case 'int8': return { dtype, shape, data: new Int8Array(buf) };
    case 'uint8': case 'bool': return { dtype, shape, data: new Uint8Array(buf) };
    case 'int16': return { dtype, shape, data: new Int16Array(buf) };
    case 'int32': return { dtype, shape, data: new Int32Array(buf) };
    case 'float32': return { dtype, shape, data: new Float32Array(buf) };
    case 'float64': return { dtype, shape, data: new Float64Array(buf) };
    case 'int64': {
      const big = new BigInt64Array(buf);
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = Number(big[i]);
      return { dtype, shape, data: out };
    }
  }
}
