// The pipeline's own modules, as the plugin and its executors load them: plain JavaScript (no tsx), so that computing
// the project graph or a cached run never loads TypeScript, tfjs or vega.
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const load = (root, rel) => import(pathToFileURL(path.join(root, rel)).href);

/** declarations.mjs (the stages), inputs.mjs (what they depend on) and the catalog's entries of the workspace at `root`. */
async function pipelineModules(root) {
  const [declarations, inputs, catalog] = await Promise.all([
    load(root, 'apps/pipeline/src/stages/declarations.mjs'),
    load(root, 'apps/pipeline/src/stages/inputs.mjs'),
    load(root, 'apps/pipeline/src/catalog/entries.mjs'),
  ]);
  return { declarations, inputs, catalog };
}

/** `--set` as Nx passes it: absent, one string, or an array of strings. */
function setsOf(options) {
  return [].concat(options.set ?? []).map(String);
}

/** Where the stage-inputs target writes the key files of a config (an output of that target). */
function inputsDir(root, config) {
  return path.join(root, '.nx', 'trm-inputs', config);
}

module.exports = { pipelineModules, setsOf, inputsDir };
