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
  if (idx < 0) throw new Error(`${file}: missing column "${nameOfColumn}" (columns: ${describeColumns(table.header)})`);
  return idx;
}

/**
 * The fields of one CSV line (RFC 4180 quoting inside the line; a quoted field cannot span lines here). `where`
 * names the file and row in errors.
 */
export function parseCsvLine(line: string, where: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let value = '';
      let from = i + 1;
      for (;;) {
        const q = line.indexOf('"', from);
        if (q < 0) throw new Error(`${where}: unterminated quoted field (a quoted field must end on its line)`);
        value += line.slice(from, q);
        if (line[q + 1] === '"') { value += '"'; from = q + 2; continue; }
        i = q + 1;
        break;
      }
      fields.push(value);
      if (i < line.length && line[i] !== ',') throw new Error(`${where}: unexpected character after a quoted field`);
    } else {
      const comma = line.indexOf(',', i);
      const end = comma < 0 ? line.length : comma;
      fields.push(line.slice(i, end));
      i = end;
    }
    if (i >= line.length) return fields;
    i++; // the comma
  }
}

/**
 * The data rows of a CSV read as lines (SourceIO.readLines): the header, then every non-empty row with its number
 * (row 1 = the header). Errors name the file and row; a file with a header and no rows is an error.
 */
export async function* csvRows(lines: AsyncIterable<string>, file: string): AsyncGenerator<{ header: string[]; row: number; fields: string[] }> {
  let header: string[] | null = null;
  let row = 0;
  let data = 0;
  for await (const line of lines) {
    row++;
    if (line === '') continue;
    const fields = parseCsvLine(row === 1 ? line.replace(/^\uFEFF/, '') : line, `${file} row ${row}`);
    if (!header) { header = fields; continue; }
    if (fields.length !== header.length) {
      throw new Error(`${file} row ${row}: expected ${header.length} fields (${describeColumns(header)}), found ${fields.length}`);
    }
    data++;
    yield { header, row, fields };
  }
  if (!header) throw new Error(`${file}: empty file (expected a header row)`);
  if (data === 0) throw new Error(`${file}: no rows (a header and nothing else)`);
}

/**
 * The columns of a header for an error message: their names when they look like column names, else only their
 * shape (the file may be anything, `/etc/shadow` included: its first line is not echoed).
 */
export function describeColumns(fields: readonly string[]): string {
  if (fields.length <= 16 && fields.every((f) => /^[\w .-]{1,32}$/.test(f))) return fields.join(', ');
  return `${fields.length} field(s) that are not column names, ${fields.reduce((a, f) => a + f.length, 0)} characters`;
}

/** Index of a required column of a header, with an error naming the file and the columns it has. */
export function headerColumn(header: readonly string[], name: string, file: string): number {
  const idx = header.indexOf(name);
  if (idx < 0) throw new Error(`${file}: missing column "${name}" (columns: ${describeColumns(header)})`);
  return idx;
}
