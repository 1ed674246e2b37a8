// Runs every command of README.md (see commands.ts for how each one is run), in README order, in one temporary copy
// of the workspace, so that later commands reuse what earlier ones built. Stage commands run in both forms,
// `npx trm` and `npx nx run pipeline:`. Nothing touches the repository's artifacts/, the user's Nx cache or npm's
// global prefix: NX_CACHE_DIRECTORY, NX_WORKSPACE_DATA_DIRECTORY and NPM_CONFIG_PREFIX point at temporary folders.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseJsonText } from '../../libs/dataset/src/json.ts';
import { RULES, type Rule } from './commands.ts';
import { norm, otherForm, readmeCommands } from './parse.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
const tmp = (label: string) => fs.mkdtempSync(path.join(os.tmpdir(), `trm-readme-${label}-`));

// The commands run in a temporary copy of the workspace (node_modules linked, ../shared linked beside it), as a user
// runs them in a fresh checkout: artifacts/ is the copy's, and so is what `nx g` writes.
const SKIP = new Set(['node_modules', 'artifacts', '.nx', '.git', 'coverage']);
const outer = tmp('ws');
const ws = path.join(outer, 'repo');
fs.mkdirSync(ws);
for (const name of fs.readdirSync(root)) {
  if (SKIP.has(name) || name.startsWith('.scratch')) continue;
  fs.cpSync(path.join(root, name), path.join(ws, name), { recursive: true, filter: (src) => !/[/\\](node_modules|build)([/\\]|$)/.test(path.relative(root, src)) });
}
fs.symlinkSync(path.join(root, 'node_modules'), path.join(ws, 'node_modules'), 'dir');
if (fs.existsSync(path.resolve(root, '../shared'))) fs.symlinkSync(path.resolve(root, '../shared'), path.join(outer, 'shared'), 'dir');

const env: NodeJS.ProcessEnv = {
  ...process.env,
  TRM_ROOT: ws,
  TRM_ARTIFACTS: '',
  NX_DAEMON: 'false',
  NX_CACHE_DIRECTORY: tmp('nxcache'),
  NX_WORKSPACE_DATA_DIRECTORY: tmp('nxdata'),
  NX_NO_CLOUD: 'true',
  NX_TUI: 'false',
  NPM_CONFIG_PREFIX: tmp('npmprefix'),
  NPM_CONFIG_OFFLINE: 'true',
  NPM_CONFIG_AUDIT: 'false',
  NPM_CONFIG_FUND: 'false',
  NPM_CONFIG_IGNORE_SCRIPTS: 'true', // `npm link` would rebuild the native addon; `npm run X` still runs X
  NO_COLOR: '1',
  FORCE_COLOR: '0',
};
delete env.TRM_ARTIFACTS;

function run(cmd: string): { status: number | null; output: string } {
  const r = spawnSync('bash', ['-c', cmd], { cwd: ws, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { status: r.status, output: `${r.stdout}\n${r.stderr}`.slice(-4000) };
}

const commands = readmeCommands(readme);
const ruleOf = (cmd: string): Rule | undefined => RULES.find((r) => norm(r.command) === cmd);

describe('README.md', () => {
  it('has a rule for nothing that is gone, and its config example loads', async () => {
    const gone = RULES.filter((r) => !commands.includes(norm(r.command))).map((r) => r.command);
    expect(gone, 'rules in tools/readme/commands.ts whose command is no longer in README.md').toEqual([]);
    const example = /```jsonc\n([\s\S]*?)```/.exec(readme);
    expect(example, 'README.md has a ```jsonc config example').not.toBeNull();
    const dir = tmp('configs');
    fs.cpSync(path.join(root, 'configs'), dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'readme-example.json'), example![1]);
    expect(parseJsonText(example![1], 'README example', { comments: true })).toMatchObject({ dataset: 'sudoku' });
    const r = spawnSync(path.join(ws, 'node_modules', '.bin', 'trm'), ['show-config', path.join(dir, 'readme-example.json')], { env, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).name).toBe('readme-example');
  });

  const seen = new Set<string>();
  for (const cmd of commands) {
    const rule = ruleOf(cmd);
    const forms = [cmd, otherForm(cmd)].filter((f): f is string => f !== null);
    for (const form of forms) {
      const derived = form !== cmd;
      // what runs: the rule's smaller command (or its other form), else the form itself
      const actual = rule?.run ? (derived ? otherForm(rule.run) ?? form : rule.run) : form;
      if (seen.has(actual)) continue;
      seen.add(actual);
      const label = derived ? `${form}   (other form of: ${cmd})` : form;
      if (rule?.skip) {
        it.skip(`${label}   [not run: ${rule.skip}]`, () => {});
        continue;
      }
      if (rule?.nxPending && /^npx nx /.test(form)) {
        console.log(`README test: Nx form not run (${rule.nxPending}): ${form}`);
        it.skip(`${label}   [Nx form not run: ${rule.nxPending}]`, () => {});
        continue;
      }
      it(label, () => {
        const r = run(actual);
        expect(r.status, `${actual}\n${r.output}`).toBe(0);
      }, 900_000);
    }
  }
});
