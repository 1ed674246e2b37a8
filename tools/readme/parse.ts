// The commands of README.md: lines of ```sh blocks and command-like inline `code` spans, and the other form
// (trm <-> Nx) of a stage command.
import { COMMAND_PREFIXES } from './commands.ts';

const STAGES = ['fetch', 'augment', 'encode', 'train', 'evaluate', 'report'];

export const norm = (s: string) => s.replace(/\s+/g, ' ').trim();

/** The commands of the README in order: lines of ```sh blocks (comments dropped) and command-like inline spans. */
export function readmeCommands(text: string): string[] {
  const out: string[] = [];
  const fence = /^[ \t]*```(\w*)\n([\s\S]*?)^[ \t]*```/gm; // fences may be indented (inside a list item)
  let last = 0;
  const inline = (chunk: string) => {
    for (const m of chunk.matchAll(/`([^`]+)`/g)) {
      const span = norm(m[1]);
      if (!COMMAND_PREFIXES.some((p) => span.startsWith(p))) continue;
      if (COMMAND_PREFIXES.some((p) => span === p.trim()) || /^npx trm$|^npm run trm( --)?$|^npx nx run pipeline:\w+$/.test(span)) continue; // a prefix or a target's name, not a command
      if (/\b[A-Z]{3,}\b|<\w+>|\.\.\./.test(span.replace(/\b(NX|TRM|CI)_\w+/g, ''))) continue; // a synopsis with placeholders
      out.push(span);
    }
  };
  for (const m of text.matchAll(fence)) {
    inline(text.slice(last, m.index));
    last = m.index! + m[0].length;
    if (m[1] !== 'sh') continue;
    for (const line of m[2].replace(/\\\n/g, ' ').split('\n')) {
      const cmd = norm(line.replace(/\s#\s.*$/, ''));
      if (cmd) out.push(cmd);
    }
  }
  inline(text.slice(last));
  return out;
}

/** The other form of a stage command (trm <-> Nx), or null. `--skip-nx-cache` and `--graph` exist only in the Nx form. */
export function otherForm(cmd: string): string | null {
  const trm = /^npx trm (\w+)( .*)?$/.exec(cmd);
  if (trm && STAGES.includes(trm[1])) return `npx nx run pipeline:${trm[1]}${trm[2] ?? ''}`;
  const nx = /^npx nx run pipeline:(\w+)( .*)?$/.exec(cmd);
  if (nx && STAGES.includes(nx[1]) && !/ --graph\b/.test(nx[2] ?? '')) return `npx trm ${nx[1]}${(nx[2] ?? '').replace(/ --skip-nx-cache\b/, '')}`;
  return null;
}

