// RFC 4180 CSV parsing that keeps every character of a field (Maze cells are spaces: never trim).

export interface CsvTable {
  header: string[];
  rows: string[][];
}

/** Parse CSV text with a header row. `name` is used in error messages (`file.csv row 12: ...`). */
export function parseCsv(text: string, name = 'input.csv'): CsvTable {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  let i = 0;
  const endRecord = (): void => {
    record.push(field);
    field = '';
    if (!(record.length === 1 && record[0] === '')) records.push(record);
    record = [];
  };
  while (i < text.length) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
        quoted = false; i++; continue;
      }
      field += ch; i++; continue;
    }
    if (ch === '"' && field === '') { quoted = true; i++; continue; }
    if (ch === ',') { record.push(field); field = ''; i++; continue; }
    if (ch === '\r' && text[i + 1] === '\n') { endRecord(); i += 2; continue; }
    if (ch === '\n') { endRecord(); i++; continue; }
    field += ch; i++;
  }
  if (quoted) throw new Error(`${name}: unterminated quoted field at the end of the file`);
  if (field !== '' || record.length > 0) endRecord();
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
