import { describe, expect, it } from 'vitest';
import { column, parseCsv } from './csv.ts';

describe('parseCsv', () => {
  it('keeps spaces, handles quotes, CRLF and a missing final newline', () => {
    const t = parseCsv('a,b\r\n  x ,"y, ""z"""\n# ,\n"",last', 'f.csv');
    expect(t.header).toEqual(['a', 'b']);
    expect(t.rows).toEqual([['  x ', 'y, "z"'], ['# ', ''], ['', 'last']]);
  });

  it('ignores blank lines and a trailing newline', () => {
    expect(parseCsv('q,a\n1,2\n\n3,4\n', 'f.csv').rows).toEqual([['1', '2'], ['3', '4']]);
  });

  it('names the file and row of a record with the wrong field count', () => {
    expect(() => parseCsv('q,a\n1,2\n3\n', 'maze.csv')).toThrow(/maze\.csv row 3: expected 2 fields/);
  });

  it('rejects an unterminated quote and an empty file', () => {
    expect(() => parseCsv('q,a\n"1,2\n', 'f.csv')).toThrow(/f\.csv row 2: unterminated quoted field/);
    expect(() => parseCsv('', 'e.csv')).toThrow(/e\.csv: empty file/);
  });

  it('column() names the missing column and the ones present', () => {
    const t = parseCsv('question,answer\n1,2\n', 'x.csv');
    expect(column(t, 'answer', 'x.csv')).toBe(1);
    expect(() => column(t, 'rating', 'x.csv')).toThrow(/x\.csv: missing column "rating" \(columns: question, answer\)/);
  });
});
