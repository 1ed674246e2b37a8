// Small markdown builders that render the same on GitHub and in VS Code preview.

/** Escape text for a table cell or a paragraph (pipes, markup characters, line breaks). */
export function esc(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/[|*_`<>[\]]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');
}

/** An inline code span for any text (backticks inside get a longer fence; nothing is escaped inside). */
export function code(text: string): string {
  const t = text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
  const runs = t.match(/`+/g) ?? [];
  const fence = '`'.repeat(Math.max(0, ...runs.map((r) => r.length)) + 1);
  const pad = t.startsWith('`') || t.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${t}${pad}${fence}`;
}

export function table(header: string[], rows: string[][], align?: ('l' | 'r' | 'c')[]): string {
  const sep = header.map((_, i) => ({ l: '---', r: '---:', c: ':---:' })[align?.[i] ?? 'l']);
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(sep), ...rows.map(line)].join('\n');
}

/** A collapsible block; `body` is markdown (blank lines around it keep GitHub rendering it as markdown). */
export function details(summary: string, body: string): string {
  return `<details>\n<summary>${summary}</summary>\n\n${body}\n\n</details>`;
}

export function codeBlock(lang: string, text: string): string {
  const fence = text.includes('```') ? '````' : '```';
  return `${fence}${lang}\n${text}\n${fence}`;
}

export function image(alt: string, path: string): string {
  return `![${alt.replace(/[[\]]/g, '')}](${path})`;
}

/** Anchor GitHub derives from a heading: lower case, punctuation dropped, spaces -> '-'. */
export function anchor(heading: string): string {
  return heading.toLowerCase().replace(/[^\p{L}\p{N}\s-]/gu, '').trim().replace(/\s/g, '-');
}

export function pct(x: number | null | undefined, digits = 1): string {
  return x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : `${(100 * x).toFixed(digits)}%`;
}

/** Compact number: 1234567 -> 1.23M, 0.000123 -> 1.23e-4. */
export function num(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a';
  const a = Math.abs(x);
  if (Number.isInteger(x) && a < 1e4) return String(x);
  if (a >= 1e9) return `${(x / 1e9).toFixed(2)}G`;
  if (a >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${(x / 1e3).toFixed(1)}k`;
  if (a !== 0 && a < 1e-3) return x.toExponential(2);
  return Number(x.toPrecision(4)).toString();
}

export function duration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return 'n/a';
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${Math.round(seconds - 60 * m)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** Integers with thousands separators (50,000), other numbers compact. */
export function count(v: number | null): string {
  return v !== null && Number.isInteger(v) ? v.toLocaleString('en-US') : num(v);
}

/** A hash shortened to `n` characters, as code. */
export function short(hash: string | null | undefined, n = 12): string {
  return hash ? code(hash.slice(0, n)) : 'n/a';
}
