// A tiny markdown -> HTML converter covering the subset the report writes (tests and preview only).
// Stricter than GitHub where the report could go wrong: a table row with the wrong cell count throws.
import { anchor } from '../markdown.ts';

export interface Html { html: string; images: string[]; links: string[]; ids: string[] }

const escHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Split a table row on pipes that are not escaped and not inside a code span. */
function cells(line: string): string[] {
  const body = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  const out: string[] = [];
  let cur = '';
  let code = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '\\' && i + 1 < body.length) { cur += body[i + 1] === '|' ? '|' : c + body[i + 1]; i++; continue; }
    if (c === '`') code = !code;
    if (c === '|' && !code) { out.push(cur.trim()); cur = ''; continue; }
    cur += c;
  }
  out.push(cur.trim());
  return out;
}

export function markdownToHtml(md: string): Html {
  const images: string[] = [];
  const links: string[] = [];
  const ids: string[] = [];
  const inline = (s: string): string => {
    const parts = s.split(/(`+[^`]*?`+)/);
    return parts.map((p, k) => {
      if (k % 2 === 1) return `<code>${escHtml(p.replace(/^`+|`+$/g, ''))}</code>`;
      const held: string[] = [];
      const hold = (h: string) => `\u0000${held.push(h) - 1}\u0000`;
      let t = p.replace(/\\([\\`*_{}[\]()#+\-.!|<>])/g, (_, c: string) => hold(escHtml(c)));
      t = t.replace(/<br>/g, () => hold('<br>'));
      t = t.replace(/!\[([^\]]*)\]\(([^)\s]+)\)/g, (_, alt: string, src: string) => { images.push(src); return hold(`<img alt="${escHtml(alt)}" src="${escHtml(src)}">`); });
      t = t.replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_, text: string, href: string) => { links.push(href); return hold(`<a href="${escHtml(href)}">${escHtml(text)}</a>`); });
      t = escHtml(t).replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');
      return t.replace(/\u0000(\d+)\u0000/g, (_, n: string) => held[Number(n)]);
    }).join('');
  };
  const lines = md.split('\n');
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    const fence = /^(`{3,})(\w*)$/.exec(line);
    if (fence) {
      const end = lines.indexOf(fence[1], i + 1);
      if (end < 0) throw new Error(`markdown line ${i + 1}: unterminated code fence`);
      out.push(`<pre><code class="language-${fence[2]}">${escHtml(lines.slice(i + 1, end).join('\n'))}</code></pre>`);
      i = end + 1;
      continue;
    }
    const h = /^(#{1,6}) (.*)$/.exec(line);
    if (h) {
      const text = h[2].replace(/\\(.)/g, '$1');
      ids.push(anchor(text));
      out.push(`<h${h[1].length} id="${anchor(text)}">${inline(h[2])}</h${h[1].length}>`);
      i++;
      continue;
    }
    if (/^<\/?(details|summary)>/.test(line)) { out.push(line); i++; continue; }
    if (line.startsWith('|')) {
      const head = cells(line);
      const sep = cells(lines[i + 1] ?? '');
      if (sep.length !== head.length || !sep.every((c) => /^:?-{3,}:?$/.test(c))) throw new Error(`markdown line ${i + 2}: bad table separator`);
      const align = sep.map((c) => (c.startsWith(':') && c.endsWith(':') ? 'center' : c.endsWith(':') ? 'right' : 'left'));
      const row = (cs: string[], tag: string) => `<tr>${cs.map((c, k) => `<${tag} style="text-align:${align[k]}">${inline(c)}</${tag}>`).join('')}</tr>`;
      const body: string[] = [];
      i += 2;
      while (i < lines.length && lines[i].startsWith('|')) {
        const cs = cells(lines[i]);
        if (cs.length !== head.length) throw new Error(`markdown line ${i + 1}: table row has ${cs.length} cells, header ${head.length}`);
        body.push(row(cs, 'td'));
        i++;
      }
      out.push(`<table><thead>${row(head, 'th')}</thead><tbody>${body.join('')}</tbody></table>`);
      continue;
    }
    if (line.trim() === '') { i++; continue; }
    const para: string[] = [];
    const quote = line.startsWith('> ');
    while (i < lines.length && lines[i].trim() !== '' && !lines[i].startsWith('|') && !/^(#{1,6} |`{3,}|<\/?(details|summary)>)/.test(lines[i])) {
      para.push(quote ? lines[i].replace(/^> ?/, '') : lines[i]);
      i++;
    }
    const p = `<p>${inline(para.join('\n'))}</p>`;
    out.push(quote ? `<blockquote>${p}</blockquote>` : p);
  }
  return { html: out.join('\n'), images, links, ids };
}

/** A standalone HTML page with GitHub-like styling, for screenshots. */
export function htmlPage(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escHtml(title)}</title><style>
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1000px;margin:24px auto;color:#1f2328;line-height:1.5;font-size:15px}
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #d0d7de;padding:4px 10px}th{background:#f6f8fa}
code{background:#eff1f3;padding:1px 4px;border-radius:4px;font-size:85%}pre{background:#f6f8fa;padding:12px;overflow:auto}
blockquote{border-left:4px solid #d0d7de;margin:0;padding:0 12px;color:#59636e}h1,h2{border-bottom:1px solid #d0d7de}
details{margin:8px 0}img{max-width:100%}</style></head><body>\n${body}\n</body></html>`;
}
