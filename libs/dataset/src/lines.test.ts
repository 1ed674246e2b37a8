import { describe, expect, it } from 'vitest';
import { LineTooLongError, splitLines, textLines } from './lines.ts';

const all = async (it: AsyncIterable<string>) => { const out: string[] = []; for await (const l of it) out.push(l); return out; };
const enc = (s: string) => new TextEncoder().encode(s);

describe('splitLines', () => {
  it('splits on \\n and \\r\\n across chunk borders, keeps empty lines, drops only a final empty one', async () => {
    expect(await all(textLines('a,b\r\n\nc\nlast', 'f', { maxLineBytes: 10 }))).toEqual(['a,b', '', 'c', 'last']);
    expect(await all(textLines('x\n', 'f', { maxLineBytes: 10 }))).toEqual(['x']);
    const chunks = [enc('héllo wo'), enc('rld\r'), enc('\nsecond'), enc(''), enc(' line\n')];
    expect(await all(splitLines(chunks, 'f', { maxLineBytes: 12 }))).toEqual(['héllo world', 'second line']);
  });

  it('stops at the first line longer than the limit, naming the file and the line, without reading it whole', async () => {
    const err = await all(textLines('q,a\n1,2\n' + 'x'.repeat(50) + '\nok\n', 'data.csv', { maxLineBytes: 20, what: 'a row' })).catch((e) => e);
    expect(err).toBeInstanceOf(LineTooLongError);
    expect(err.message).toBe('data.csv line 3: longer than 20 bytes, more than a row can be; stopped reading there (is it the right file?)');
    // a line without an end: the chunks after the limit are never pulled
    let pulled = 0;
    const endless = (function* () { for (;;) { pulled++; yield enc('y'.repeat(1000)); } })();
    await expect(all(splitLines(endless, 'big.csv', { maxLineBytes: 5000 }))).rejects.toThrow('big.csv line 1: longer than 5,000 bytes');
    expect(pulled).toBe(6);
    // exactly at the limit, with or without a \r, is fine
    expect(await all(textLines('12345\r\n12345\n', 'f', { maxLineBytes: 5 }))).toEqual(['12345', '12345']);
    await expect(all(textLines('123456\n', 'f', { maxLineBytes: 5 }))).rejects.toThrow('f line 1');
  });
});
