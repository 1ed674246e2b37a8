// The command line as a user meets it, in a child process from a folder outside the repository: `trm` of
// node_modules/.bin (what `npm ci` installs) and of `npm link` (on the PATH), --version, and exit codes
// 0 / 1 (failed) / 2 (usage error).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { workspaceRoot } from '../workspace.ts';

const root = workspaceRoot();
const version = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'trm-conv-'));

function trm(args: string[], env: NodeJS.ProcessEnv = process.env, bin = path.join(root, 'node_modules', '.bin', 'trm')) {
  const r = spawnSync(bin, args, { cwd: elsewhere, env: { ...env, TRM_QUIET: '1' }, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('trm command-line conventions', () => {
  it('--version prints the package version; exit 2 for usage errors, 1 for failures', () => {
    expect(trm(['--version'])).toMatchObject({ code: 0, out: `${version}\n` });
    const unknownOption = trm(['report', '--config', 'sudoku-tiny', '--bogus']);
    expect(unknownOption.code).toBe(2);
    expect(unknownOption.err).toContain("error: unknown option '--bogus'");
    expect(trm(['train']).code).toBe(2); // --config missing
    expect(trm(['no-such-command']).code).toBe(2);
    expect(trm(['show-config', 'sudoku-tiny', '--set', 'train.epochs=-1']).code).toBe(2);
    const cfg = path.join(elsewhere, 'bad.json');
    fs.writeFileSync(cfg, JSON.stringify({ extends: path.join(root, 'configs', 'sudoku-tiny.json'), arch: { hidden_size: 0 } }));
    const bad = trm(['show-config', cfg]);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain(`${cfg}: invalid config`);
    expect(trm(['--help']).code).toBe(0);
  });

  it('`npm link` puts trm on the PATH, working from any folder', () => {
    const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'trm-link-'));
    const link = spawnSync('npm', ['link', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: root, env: { ...process.env, NPM_CONFIG_PREFIX: prefix }, encoding: 'utf8' });
    expect(link.status, link.stderr).toBe(0);
    const bin = path.join(prefix, 'bin');
    const r = spawnSync('trm', ['--version'], { cwd: elsewhere, env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}` }, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${version}\n`);
  });
});
