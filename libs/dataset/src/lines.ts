// Text files as streams of lines with a length limit: memory stays bounded by the longest line a dataset allows,
// whatever the file holds (a CSV of one 200 MB line stops at the limit with an error naming the file and line).
// Pure: the pipeline feeds file chunks in (SourceIO.readLines); tests feed text through `textLines`.

export interface LineOptions {
  /** the longest line (in bytes, without its line break) the reader accepts */
  maxLineBytes: number;
  /** what a line is, for the error: e.g. `a Sudoku CSV row of a 9x9 board` */
  what?: string;
}

export class LineTooLongError extends Error {
  constructor(readonly file: string, readonly line: number, readonly maxLineBytes: number, what?: string) {
    super(`${file} line ${line}: longer than ${maxLineBytes.toLocaleString('en-US')} bytes${what ? `, more than ${what} can be` : ''}; stopped reading there (is it the right file?)`);
    this.name = 'LineTooLongError';
  }
}

/**
 * The lines of a stream of UTF-8 chunks, without their `\n` or `\r\n` (a final line without a line break included,
 * a final empty line not). Throws LineTooLongError as soon as a line grows past `maxLineBytes`.
 */
export async function* splitLines(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, file: string, opts: LineOptions): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  const max = opts.maxLineBytes;
  let parts: Uint8Array[] = [];
  let pending = 0;
  let line = 0;
  const finish = (tail: Uint8Array): string => {
    let bytes = tail;
    if (parts.length) {
      bytes = new Uint8Array(pending + tail.length);
      let at = 0;
      for (const p of parts) { bytes.set(p, at); at += p.length; }
      bytes.set(tail, at);
      parts = [];
      pending = 0;
    }
    const end = bytes.length > 0 && bytes[bytes.length - 1] === 13 ? bytes.length - 1 : bytes.length;
    return decoder.decode(bytes.subarray(0, end));
  };
  for await (const chunk of chunks) {
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf(10, from);
      if (nl < 0) break;
      line++;
      const len = pending + nl - from;
      if (len > max) {
        const last = nl > from ? chunk[nl - 1] : parts[parts.length - 1][parts[parts.length - 1].length - 1];
        if (len > max + 1 || last !== 13) throw new LineTooLongError(file, line, max, opts.what); // a \r is not counted
      }
      yield finish(chunk.subarray(from, nl));
      from = nl + 1;
    }
    if (from < chunk.length) {
      if (pending + chunk.length - from > max + 1) throw new LineTooLongError(file, line + 1, max, opts.what);
      parts.push(chunk.slice(from));
      pending += chunk.length - from;
    }
  }
  if (pending > 0) {
    line++;
    yield finish(new Uint8Array(0));
  }
}

/** The lines of an in-memory text, with the same limit and errors as a file read through SourceIO.readLines. */
export function textLines(text: string, file: string, opts: LineOptions): AsyncGenerator<string> {
  const bytes = new TextEncoder().encode(text);
  const chunks = function* () { for (let i = 0; i < bytes.length; i += 1 << 16) yield bytes.subarray(i, i + (1 << 16)); };
  return splitLines(chunks(), file, opts);
}
