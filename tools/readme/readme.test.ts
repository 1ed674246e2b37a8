// Runs every command of README.md (see commands.ts for how each one is run), in README order, sharing one
// temporary artifacts folder so that later commands reuse what earlier ones built. Stage commands run in both
// forms, `npx trm` and `npx nx run pipeline:`. Nothing touches the repository's artifacts/, the user's Nx cache or
// npm's global prefix: TRM_ARTIFACTS, NX_CACHE_DIRECTORY, NX_WORKSPACE_DATA_DIRECTORY and NPM_CONFIG_PREFIX point at
// temporary folders, and the Nx cache is skipped (NX_SKIP_NX_CACHE) so that it never restores into artifacts/.
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
const artifacts = tmp('artifacts');
const env = {
  ...process.env,
  TRM_ARTIFACTS: artifacts,
  NX_DAEMON: 'false',
  NX_SKIP_NX_CACHE: 'true',
  NX_CACHE_DIRECTORY: tmp('nxcache'),
  NX_WORKSPACE_DATA_DIRECTORY: tmp('nxdata'),
  NPM_CONFIG_PREFIX: tmp('npmprefix'),
  NPM_CONFIG_OFFLINE: 'true',
  NPM_CONFIG_AUDIT: 'false',
  NPM_CONFIG_FUND: 'false',
  NO_COLOR: '1',
  FORCE_COLOR: '0',
};

/** A temporary copy of the workspace for commands that write into the repository (node_modules linked). */
let copy = '';
function workspaceCopy(): string {
  if (copy) return copy;
  copy = tmp('copy');
  for (const f of ['package.json', 'package-lock.json', 'tsconfig.base.json', 'vitest.config.ts', 'nx.json']) fs.copyFileSync(path.join(root, f), path.join(copy, f));
  fs.cpSync(path.join(root, 'configs'), path.join(copy, 'configs'), { recursive: true });
  fs.cpSync(path.join(root, 'tools', 'nx-plugin'), path.join(copy, 'tools', 'nx-plugin'), { recursive: true });
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
  // the pipeline project (Nx does not follow a symlinked project folder): its project files copied, its code linked
  const app = path.join(copy, 'apps', 'pipeline');
  fs.mkdirSync(app, { recursive: true });
  for (const f of ['project.json', 'package.json']) fs.copyFileSync(path.join(root, 'apps', 'pipeline', f), path.join(app, f));
  for (const d of ['src', 'bin']) fs.symlinkSync(path.join(root, 'apps', 'pipeline', d), path.join(app, d), 'dir');
  return copy;
}

function run(cmd: string, inCopy: boolean): { status: number | null; output: string } {
  const base = inCopy ? workspaceCopy() : root;
  const shell = cmd
    // npx trm -> the installed bin, the same file (and npx run outside the repository would ask the registry)
    .replace(/\bnpx trm\b/g, path.join(root, 'node_modules', '.bin', 'trm'))
    // artifacts/... (rm -rf, inspect) -> the temporary artifacts folder, never the repository's
    .replace(/(^|[\s='"])artifacts\//g, `$1${inCopy ? path.join(base, 'artifacts') : artifacts}/`);
  const extra = inCopy ? { TRM_ROOT: base, TRM_ARTIFACTS: path.join(base, 'artifacts') } : {};
  const r = spawnSync('bash', ['-c', shell], { cwd: base, env: { ...env, ...extra }, encoding: 'utf8', maxBuffer: 64 << 20 });
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
    const r = spawnSync(path.join(root, 'node_modules', '.bin', 'trm'), ['show-config', path.join(dir, 'readme-example.json')], { env, encoding: 'utf8' });
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
      if (rule?.skip && !derived) {
        it.skip(`${label}   [not run: ${rule.skip}]`, () => {});
        continue;
      }
      if (rule?.nxPending && /^npx nx /.test(form)) {
        console.log(`README test: Nx form not run (${rule.nxPending}): ${form}`);
        it.skip(`${label}   [Nx form not run: ${rule.nxPending}]`, () => {});
        continue;
      }
      it(label, () => {
        const r = run(actual, !!rule?.inCopy);
        expect(r.status, `${actual}\n${r.output}`).toBe(0);
      }, 900_000);
    }
  }
});
