// Python's `json.dump` text (default separators ", " and ": ", ensure_ascii), for files the reference reads and
// that should equal what its builders write byte for byte.

/** `repr(float(x))` in Python 3: shortest round-trip digits; exponent form below 1e-4 and from 1e16 on. */
export function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity'; // what json.dumps writes
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mant, expText] = Math.abs(x).toExponential().split('e'); // shortest digits, d.ddd
  const exp = Number(expText);
  const digits = mant.replace('.', '');
  const sign = x < 0 ? '-' : '';
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
  const frac = digits.slice(exp + 1);
  return `${sign}${intPart}.${frac || '0'}`;
}

/** A JSON string literal as Python's json.dumps writes it (non-ASCII and DEL as \uXXXX). */
export function pythonJsonString(s: string): string {
  return JSON.stringify(s).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A value whose numbers are all integers (floats go through `pythonFloatRepr` by the caller), as json.dumps writes it. */
export function pythonJson(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`pythonJson: ${value} is not an integer; format floats with pythonFloatRepr`);
    return String(value);
  }
  if (typeof value === 'string') return pythonJsonString(value);
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  if (value instanceof PythonFloat) return pythonFloatRepr(value.value);
  if (typeof value === 'object') return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${pythonJsonString(k)}: ${pythonJson(v)}`).join(', ')}}`;
  throw new Error(`pythonJson: cannot write ${typeof value}`);
}

/** Marks a number that Python holds as a float (written 1.0, not 1). */
export class PythonFloat {
  constructor(readonly value: number) {}
}
