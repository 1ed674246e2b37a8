import { describe, expect, it } from 'vitest';
import { excerpt, parseJsonText, stripJsonComments } from './json.ts';

describe('parseJsonText', () => {
  it('parses JSON, and JSONC only when asked', () => {
    expect(parseJsonText('{"a": [1, 2]}', 'x.json')).toEqual({ a: [1, 2] });
    const jsonc = '{\n  // a comment\n  "a": "http://x/*y*/", /* block\n comment */ "b": [1, 2,],\n}\n';
    expect(parseJsonText(jsonc, 'c.jsonc', { comments: true })).toEqual({ a: 'http://x/*y*/', b: [1, 2] });
    expect(() => parseJsonText(jsonc, 'c.json')).toThrow(/^c\.json:2:3: invalid JSON: unexpected '\/', expected a double-quoted property name/);
  });

  it('names line and column, not a character position', () => {
    const cases: [string, RegExp][] = [
      ['{\n  "a": 1\n  "b": 2\n}', /^f\.json:3:3: invalid JSON: unexpected '"', expected "," or "}" after a property value/],
      ['{\n  "a": 1,\n}', /^f\.json:3:1: invalid JSON: unexpected '}', expected a double-quoted property name/],
      ['{"a": tru}', /^f\.json:1:7: invalid JSON: unexpected 't', expected a value/],
      ['{"a": "x', /^f\.json:1:7: invalid JSON: unterminated string/],
      ['', /^f\.json:1:1: invalid JSON: unexpected end of text, expected a value/],
      ['[1,2] x', /^f\.json:1:7: invalid JSON: unexpected 'x' after the end/],
    ];
    for (const [text, re] of cases) expect(() => parseJsonText(text, 'f.json')).toThrow(re);
  });

  it('quotes at most a short, sanitised excerpt of the file', () => {
    const secret = 'root:$6$abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ:19000:0:99999:7:::\x1b[2J';
    let msg = '';
    try { parseJsonText(secret, '/etc/shadow'); } catch (e) { msg = (e as Error).message; }
    expect(msg).toMatch(/^\/etc\/shadow:1:1: invalid JSON/);
    expect(msg).not.toContain('ABCDEFGHIJKLMNOP');
    expect(msg.length).toBeLessThan(160);
    expect(excerpt('a\x1b[2Jb')).toBe('a\\x1b[2Jb');
    expect(excerpt('x'.repeat(100), 10)).toBe('xxxxxxxxxx...');
  });

  it('keeps offsets when stripping comments', () => {
    const t = '{"a":1, // c\n"b":2 /* d */}';
    expect(stripJsonComments(t).length).toBe(t.length);
    expect(stripJsonComments(t).split('\n').length).toBe(2);
  });
});
