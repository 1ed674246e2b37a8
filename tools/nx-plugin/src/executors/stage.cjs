// Runs one pipeline stage for Nx: `node --import tsx apps/pipeline/src/main.ts <stage> --only --config NAME
// [--set K=V ...] [--compare OTHER]`. The arguments go to node as an argv array, with no shell in between: a value keeps
// its quotes (`--set 'fetch.train_files=["a.csv"]'`), and node is the direct child of this process (the one a signal
// must reach). Nx forwards every option of the target the user ran to the stages it depends on (params: forward);
// each stage gets only the options its declaration has (`--compare` goes to report, not to fetch).
const { spawn } = require('node:child_process');
const path = require('node:path');
const { pipelineModules, setsOf } = require('../pipeline.cjs');

const COMMON = ['stage', 'config', 'set'];

async function stageExecutor(given, context) {
  // `--resume-from X` on the nx command line arrives as options['resume-from']; declarations name it resumeFrom
  const options = Object.fromEntries(Object.entries(given).map(([k, v]) => [k.replace(/-([a-z])/g, (_, c) => c.toUpperCase()), v]));
  const root = context.root;
  const { declarations } = await pipelineModules(root);
  const decl = declarations.stageDeclaration(options.stage);
  const config = String(options.config);
  const fail = (message) => {
    console.error(`pipeline:${decl.name}: ${message}`);
    return { success: false };
  };
  if (config.includes('/') || config.includes('\\') || config.endsWith('.json')) {
    return fail(`--config ${config}: the Nx targets take the name of a config in configs/ (their outputs are artifacts/<name>/); run a config file elsewhere with \`npm run trm -- ${decl.name} --config ${config}\``);
  }
  const artifacts = process.env.TRM_ARTIFACTS;
  if (artifacts && path.resolve(artifacts) !== path.join(root, 'artifacts')) {
    return fail(`TRM_ARTIFACTS=${artifacts}: Nx caches artifacts/<config>/<stage>, not that folder; unset TRM_ARTIFACTS, or run \`npm run trm -- ${decl.name} --config ${config}\``);
  }
  const stageOptions = new Set(declarations.STAGES.flatMap((s) => s.options.map((o) => o.name)));
  // Nx may pass --resume-from as resume-from, resumeFrom or both
  const camel = (k) => k.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
  const unknown = Object.keys(options).filter((k) => !COMMON.includes(camel(k)) && !stageOptions.has(camel(k)));
  if (unknown.length) {
    return fail(`unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `--${k}`).join(', ')}; the stage targets take --config NAME, --set key=value (repeatable)${stageOptions.size ? ` and ${declarations.STAGES.filter((s) => s.options.length).map((s) => `${s.options.map((o) => o.flags.split(' ')[0]).join(', ')} (${s.name})`).join(', ')}` : ''}`);
  }
  const args = ['--import', 'tsx', path.join(root, 'apps/pipeline/src/main.ts'), decl.name, '--only', '--config', config];
  for (const s of setsOf(options)) args.push('--set', s);
  for (const o of decl.options) {
    const [flag, value] = o.flags.split(' ');
    const v = options[o.name] ?? options[o.flags.split(' ')[0].slice(2)];
    if (v === undefined || v === false) continue;
    if (value) args.push(flag, String(v)); // --compare <config>
    else args.push(flag); // a switch such as --restart
  }
  const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit' });
  // A signal to this process goes on to the stage, which stops at a checkpoint; this process waits for it.
  const forward = (signal) => { if (child.exitCode === null && child.signalCode === null) child.kill(signal); };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, forward);
  const code = await new Promise((resolve) => {
    child.on('error', (e) => { console.error(`pipeline:${decl.name}: cannot start node: ${e.message}`); resolve(1); });
    child.on('close', (status) => resolve(status ?? 1));
  });
  for (const s of signals) process.off(s, forward);
  return { success: code === 0 };
}

module.exports = stageExecutor;
module.exports.default = stageExecutor;
