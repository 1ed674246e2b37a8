// JSON and JSONC (JSON with // and /* */ comments and trailing commas, as in tsconfig and VS Code settings)
// with errors that name the file, the line and the column, and quote at most a short, sanitised excerpt.
// The fast path is JSON.parse; only a text that fails is scanned again to locate the problem.

/** At most `max` characters of `s`, control and non-ASCII characters escaped, `...` when cut. */
export function excerpt(s: string, max = 40): string {
  let out = '';
  for (const ch of s) {
    if (out.length >= max) return `${out}...`;
    const c = ch.codePointAt(0)!;
    out += c < 0x20 || c === 0x7f || (c > 0x7e && c < 0xa0) ? `\\x${c.toString(16).padStart(2, '0')}` : c > 0xffff ? '?' : ch;
  }
  return out;
}

/** 1-based line and column of a 0-based offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: offset - start + 1 };
}

export class JsonSyntaxError extends Error {
  constructor(readonly file: string, readonly line: number, readonly column: number, readonly detail: string) {
    super(`${file}:${line}:${column}: invalid JSON: ${detail}`);
    this.name = 'JsonSyntaxError';
  }
}

/**
 * Replaces comments and trailing commas by spaces (line breaks kept), so that offsets, lines and columns of the
 * result are those of `text`. Strings are left alone.
 */
export function stripJsonComments(text: string): string {
  const out = text.split('');
  let lastComma = -1; // offset of a comma followed so far only by whitespace and comments
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      lastComma = -1;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (c === '/' && text[i + 1] === '/') {
      for (; i < text.length && text[i] !== '\n'; i++) out[i] = ' ';
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      for (; i < stop; i++) if (text[i] !== '\n') out[i] = ' ';
      i--;
    } else if (c === ',') {
      lastComma = i;
    } else if ((c === '}' || c === ']') && lastComma >= 0) {
      out[lastComma] = ' ';
      lastComma = -1;
    } else if (!/\s/.test(c)) {
      lastComma = -1;
    }
  }
  return out.join('');
}

/** Parse JSON (or JSONC with `comments`); a syntax error is a JsonSyntaxError naming file, line and column. */
export function parseJsonText(text: string, file: string, opts: { comments?: boolean } = {}): unknown {
  const source = text.charCodeAt(0) === 0xfeff ? ` ${text.slice(1)}` : text; // a BOM: one column, not an error
  const plain = opts.comments ? stripJsonComments(source) : source;
  try {
    return JSON.parse(plain);
  } catch {
    const { offset, detail } = locateJsonError(plain);
    const { line, column } = lineColumn(plain, offset);
    const lineText = plain.slice(offset - column + 1).split('\n', 1)[0];
    throw new JsonSyntaxError(file, line, column, `${detail} (line ${line}: "${excerpt(lineText.slice(Math.max(0, column - 21)), 40)}")`);
  }
}

/** The offset and a description of the first syntax error of `text` (JSON.parse said there is one). */
export function locateJsonError(text: string): { offset: number; detail: string } {
  let i = 0;
  const ws = () => { while (i < text.length && ' \t\n\r'.includes(text[i])) i++; };
  const fail = (detail: string): never => { throw { offset: i, detail }; };
  const what = () => (i >= text.length ? 'end of text' : `'${excerpt(text[i], 4)}'`);
  const literal = (word: string) => { if (text.startsWith(word, i)) i += word.length; else fail(`unexpected ${what()}, expected a value`); };
  const string = () => {
    const start = i++;
    for (;;) {
      if (i >= text.length) { i = start; fail('unterminated string'); }
      const c = text.charCodeAt(i);
      if (c === 34) { i++; return; }
      if (c < 0x20) fail('line break or control character inside a string');
      if (c === 92) {
        const e = text[i + 1];
        if (e === 'u') { if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail('bad \\u escape'); i += 6; continue; }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) fail('bad escape in a string');
        i += 2;
        continue;
      }
      i++;
    }
  };
  const number = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) fail(`unexpected ${what()}, expected a value`);
    i += m![0].length;
  };
  const value = (depth: number): void => {
    if (depth > 1000) fail('nested too deeply');
    ws();
    const c = text[i];
    if (c === '{') {
      i++; ws();
      if (text[i] === '}') { i++; return; }
      for (;;) {
        ws();
        if (text[i] !== '"') fail(`unexpected ${what()}, expected a double-quoted property name`);
        string(); ws();
        if (text[i] !== ':') fail(`unexpected ${what()}, expected ":" after a property name`);
        i++;
        value(depth + 1); ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return; }
        fail(`unexpected ${what()}, expected "," or "}" after a property value`);
      }
    }
    if (c === '[') {
      i++; ws();
      if (text[i] === ']') { i++; return; }
      for (;;) {
        value(depth + 1); ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return; }
        fail(`unexpected ${what()}, expected "," or "]" after an array element`);
      }
    }
    if (c === '"') return string();
    if (c === 't') return literal('true');
    if (c === 'f') return literal('false');
    if (c === 'n') return literal('null');
    return number();
  };
  try {
    value(0);
    ws();
    if (i < text.length) fail(`unexpected ${what()} after the end of the JSON value`);
  } catch (e) {
    if (e && typeof e === 'object' && 'offset' in e) return e as { offset: number; detail: string };
    throw e;
  }
  return { offset: 0, detail: 'not valid JSON' };
}
