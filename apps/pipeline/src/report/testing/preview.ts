// Writes report.html beside a report.md (for a look in a browser):
//   node --import tsx apps/pipeline/src/report/testing/preview.ts artifacts/<config>/report
//   node --import tsx apps/pipeline/src/report/testing/preview.ts --synthetic /tmp/report-preview
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildReport } from '../build.ts';
import { htmlPage, markdownToHtml } from './markdown-html.ts';
import { syntheticInput } from './synthetic.ts';

const args = process.argv.slice(2);
const synthetic = args[0] === '--synthetic';
const dir = synthetic ? args[1] : args[0];
if (!dir) throw new Error('usage: preview.ts [--synthetic] <report dir>');
if (synthetic) {
  const out = await buildReport({ ...syntheticInput({ trainSteps: 1000 }) });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'report.md'), out.markdown);
  for (const [p, c] of Object.entries(out.files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), c);
  }
}
const md = readFileSync(join(dir, 'report.md'), 'utf8');
writeFileSync(join(dir, 'report.html'), htmlPage('report', markdownToHtml(md).html));
console.log(join(dir, 'report.html'));
