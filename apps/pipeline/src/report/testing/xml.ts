// A small XML well-formedness check for the SVG files of a report (tests only).

/** Throws with the offset and reason when `text` is not a well-formed XML document with one root element. */
export function assertWellFormedXml(text: string, name = 'document'): void {
  const stack: string[] = [];
  let roots = 0;
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`${name}: not well-formed XML at offset ${i}: ${why} (…${text.slice(Math.max(0, i - 30), i + 30)}…)`);
  };
  const checkText = (s: string) => {
    const bad = s.match(/&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/);
    if (bad) fail('unescaped &');
    if (s.includes('<')) fail('unescaped <');
  };
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const chunk = lt < 0 ? text.slice(i) : text.slice(i, lt);
    checkText(chunk);
    if (stack.length === 0 && chunk.trim() && roots > 0) fail('text after the root element');
    if (lt < 0) break;
    i = lt;
    if (text.startsWith('<?', i)) { const e = text.indexOf('?>', i); if (e < 0) fail('unterminated <?'); i = e + 2; continue; }
    if (text.startsWith('<!--', i)) { const e = text.indexOf('-->', i); if (e < 0) fail('unterminated comment'); i = e + 3; continue; }
    if (text.startsWith('<![CDATA[', i)) { const e = text.indexOf(']]>', i); if (e < 0) fail('unterminated CDATA'); i = e + 3; continue; }
    if (text.startsWith('<!DOCTYPE', i)) { const e = text.indexOf('>', i); i = e + 1; continue; }
    const m = /^<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[A-Za-z_][\w:.-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/.exec(text.slice(i));
    if (!m) fail('malformed tag');
    const [whole, closing, tag, attrs, selfClosing] = m!;
    const seen = new Set<string>();
    for (const a of attrs.matchAll(/([A-Za-z_][\w:.-]*)\s*=\s*("[^"]*"|'[^']*')/g)) {
      if (seen.has(a[1])) fail(`duplicate attribute ${a[1]}`);
      seen.add(a[1]);
      checkText(a[2].slice(1, -1));
    }
    if (closing) {
      if (stack.pop() !== tag) fail(`unexpected </${tag}>`);
    } else if (!selfClosing) {
      if (stack.length === 0) roots++;
      stack.push(tag);
    } else if (stack.length === 0) {
      roots++;
    }
    if (roots > 1) fail('more than one root element');
    i += whole.length;
  }
  if (stack.length) fail(`unclosed <${stack[stack.length - 1]}>`);
  if (roots !== 1) fail('no root element');
}

/** A standalone SVG file: well-formed, root <svg> in the SVG namespace (needed to show as an <img>) with a size. */
export function assertSvgFile(text: string, name = 'svg'): void {
  assertWellFormedXml(text, name);
  const root = /<svg\b[^>]*>/.exec(text)?.[0] ?? '';
  if (!root || !/^\s*(<\?xml[^>]*\?>\s*)?<svg\b/.test(text)) throw new Error(`${name}: the root element is not <svg>`);
  if (!root.includes('xmlns="http://www.w3.org/2000/svg"')) throw new Error(`${name}: <svg> lacks xmlns="http://www.w3.org/2000/svg" (browsers will not draw it as an image)`);
  if (!/\b(width|viewBox)=/.test(root)) throw new Error(`${name}: <svg> has neither width nor viewBox`);
}
