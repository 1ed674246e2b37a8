// The Nx plugin of TRM.ts: infers the `pipeline` project's targets from the stage declarations
// (apps/pipeline/src/stages/declarations.mjs) and the configs in configs/. One target per stage (`nx run
// pipeline:train --config NAME`), plus `stage-inputs`, which every stage depends on. Why this shape, and why each
// input: docs/DESIGN.md, "Nx targets".
const fs = require('node:fs');
const path = require('node:path');
const { pipelineModules } = require('./pipeline.cjs');

const EXECUTOR = './tools/nx-plugin';
const DEFAULT_CONFIG = 'sudoku-tiny';

/** Dataset libs the configs name that Nx cannot hash as workspace files: packages in node_modules, paths outside. */
function externalDatasetLibs(root, inputs) {
  const dir = path.join(root, 'configs');
  const names = new Set();
  for (const f of fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith('.json')).sort() : []) {
    const name = inputs.chainDataset(inputs.configChain(path.join(dir, f), dir));
    if (!name) continue;
    const lib = inputs.locateDataset(name, root);
    const outside = lib.sources.some((s) => s.startsWith('..') || path.isAbsolute(s) || s.split(path.sep)[0] === 'node_modules');
    if (lib.kind === 'package' || outside) names.add(name);
  }
  return [...names];
}

const shellQuote = (s) => `'${s.replace(/'/g, `'\\''`)}'`;

function stageTarget(root, decl, modules) {
  const { declarations, inputs, catalog } = modules;
  const globs = [...decl.code, ...declarations.RUNNER.code, 'tools/nx-plugin/src/executors/stage.cjs', 'tools/nx-plugin/src/pipeline.cjs'];
  const files = decl.writes.map((id) => catalog.entryLocation(id).replace('<config>', '{config}'));
  return {
    executor: `${EXECUTOR}:stage`,
    options: { stage: decl.name, config: DEFAULT_CONFIG },
    cache: true,
    inputs: [
      // the fields it uses of the config and the configs it extends, its dataset lib, machine facts
      { dependentTasksOutputFiles: `**/${decl.name}.inputs.json`, transitive: false },
      // the manifests of the stages it reads
      ...(decl.upstream.length ? [{ dependentTasksOutputFiles: '**/manifest.json', transitive: false }] : []),
      // the code that decides its output, and the command that runs it
      ...inputs.sourceGlobs(root, globs),
      ...(decl.engine ? [...inputs.sourceGlobs(root, declarations.BACKEND.code), ...declarations.BACKEND.env.map((env) => ({ env }))] : []),
      { externalDependencies: [...new Set([...decl.packages, ...declarations.RUNNER.packages])] },
    ],
    outputs: [`{workspaceRoot}/artifacts/{options.config}/${decl.name}`],
    dependsOn: [
      { target: 'stage-inputs', params: 'forward' },
      ...decl.upstream.map((u) => ({ target: u, params: 'forward' })),
    ],
    metadata: {
      description: `${decl.summary} -> ${files.join(', ')}`,
      technologies: ['trm'],
    },
  };
}

function stageInputsTarget(root, modules) {
  const external = externalDatasetLibs(root, modules.inputs);
  return {
    executor: `${EXECUTOR}:stage-inputs`,
    options: { config: DEFAULT_CONFIG },
    cache: true,
    inputs: [
      // everything in the workspace: cheap to rerun, and the stage targets hash only what it writes for them
      '{workspaceRoot}/**/*',
      { runtime: ['node tools/nx-plugin/src/machine.mjs', ...external.map(shellQuote)].join(' ') },
    ],
    outputs: ['{workspaceRoot}/.nx/trm-inputs/{options.config}'],
    metadata: {
      description: 'what each stage depends on through the config: its keys in the config and every config it extends, the dataset lib, the machine -> .nx/trm-inputs/<config>/<stage>.inputs.json',
      technologies: ['trm'],
    },
  };
}

/** createNodesV2: the targets of the `pipeline` project (apps/pipeline/project.json names it). */
const createNodesV2 = [
  'apps/pipeline/project.json',
  async (files, _options, context) => {
    const root = context.workspaceRoot;
    const modules = await pipelineModules(root);
    const targets = { 'stage-inputs': stageInputsTarget(root, modules) };
    for (const decl of modules.declarations.STAGES) targets[decl.name] = stageTarget(root, decl, modules);
    return files.map((file) => [file, { projects: { [path.dirname(file)]: { targets } } }]);
  },
];

module.exports = { name: 'trm-pipeline', createNodesV2, createNodes: createNodesV2 };
