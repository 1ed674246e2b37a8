// Nx entry of the `dataset-lib` generator: reads the template files and hands them, with Nx's Tree, to the
// pure core (core.ts, loaded through tsx since the workspace has no build step).
const { readdirSync, readFileSync } = require('node:fs');
const { join, relative, sep } = require('node:path');

/** Every file under `dir`, keyed by its path relative to `dir` with `/` separators. */
function readTemplates(dir) {
  const out = {};
  const walk = (d) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else out[relative(dir, full).split(sep).join('/')] = readFileSync(full, 'utf8');
    }
  };
  walk(dir);
  return out;
}

function datasetLibGenerator(tree, options) {
  const core = require('tsx/cjs/api').require('./core.ts', __filename);
  const result = core.generateDatasetLib(tree, options, readTemplates(join(__dirname, 'files')));
  return () => {
    for (const line of result.notes) console.log(line);
  };
}

module.exports = datasetLibGenerator;
module.exports.default = datasetLibGenerator;
module.exports.datasetLibGenerator = datasetLibGenerator;
