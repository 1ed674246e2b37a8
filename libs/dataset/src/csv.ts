// RFC 4180 CSV parsing that keeps every character of a field (Maze cells are spaces: never trim).

export interface CsvTable {
  header: string[];
  rows: string[][];
}

/** Parse CSV text with a header row. `name` is used in error messages (`file.csv row 12: ...`). */
export function parseCsv(text: string, name = 'input.csv'): CsvTable {
  const records: string[][] = [];
  let record: string[] = [];
  let i = 0;
  const n = text.length;
  // Fields are taken as slices of the text (no per-character string building).
  while (i <= n) {
    let field: string;
    if (text[i] === '"') {
      const parts: string[] = [];
      let from = i + 1;
      for (;;) {
        const q = text.indexOf('"', from);
        if (q < 0) throw new Error(`${name} row ${records.length + 1}: unterminated quoted field`);
        parts.push(text.slice(from, q));
        if (text[q + 1] === '"') { parts.push('"'); from = q + 2; continue; }
        i = q + 1;
        break;
      }
      field = parts.join('');
    } else {
      let j = i;
      while (j < n) {
        const c = text.charCodeAt(j);
        if (c === 44 /* , */ || c === 10 /* \n */ || c === 13 /* \r */) break;
        j++;
      }
      field = text.slice(i, j);
      i = j;
    }
    record.push(field);
    if (i >= n) { i = n + 1; }
    else if (text[i] === ',') { i++; continue; }
    else if (text[i] === '\r' && text[i + 1] === '\n') i += 2;
    else if (text[i] === '\n' || text[i] === '\r') i++;
    else throw new Error(`${name} row ${records.length + 1}: unexpected character after a quoted field`);
    if (!(record.length === 1 && record[0] === '')) records.push(record);
    record = [];
  }
  if (records.length === 0) throw new Error(`${name}: empty file (expected a header row)`);
  const [header, ...rows] = records;
  rows.forEach((row, r) => {
    if (row.length !== header.length) {
      throw new Error(`${name} row ${r + 2}: expected ${header.length} fields (${header.join(',')}), found ${row.length}`);
    }
  });
  return { header, rows };
}

/** Index of a required column, with an error naming the file and the columns it has. */
export function column(table: CsvTable, nameOfColumn: string, file: string): number {
  const idx = table.header.indexOf(nameOfColumn);
  if (idx < 0) throw new Error(`${file}: missing column "${nameOfColumn}" (columns: ${table.header.join(', ')})`);
  return idx;
}
