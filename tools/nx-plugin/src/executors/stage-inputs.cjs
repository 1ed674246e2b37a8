// Writes .nx/trm-inputs/<config>/<stage>.inputs.json for every stage: what the stage depends on through the config
// (stageInputs of apps/pipeline/src/stages/inputs.mjs): the values of the keys it uses in the config and in every
// config it extends, the dataset lib's location and a hash of its sources, and the machine facts. Each stage target
// hashes its own file (dependentTasksOutputFiles), so an edit of another config, or of a key the stage does not use,
// leaves its hash as it was. Cheap (no tsx, no tfjs) and cached itself.
const fs = require('node:fs');
const path = require('node:path');
const { inputsDir, pipelineModules, setsOf } = require('../pipeline.cjs');

async function stageInputsExecutor(options, context) {
  const root = context.root;
  const { declarations, inputs } = await pipelineModules(root);
  const config = String(options.config);
  const dir = inputsDir(root, config);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const machine = inputs.machineFacts(root);
  for (const stage of declarations.STAGES) {
    const key = inputs.stageInputs(stage, config, { root, configsDir: path.join(root, 'configs'), sets: setsOf(options), machine });
    fs.writeFileSync(path.join(dir, `${stage.name}.inputs.json`), `${JSON.stringify(key, null, 1)}\n`);
  }
  return { success: true };
}

module.exports = stageInputsExecutor;
module.exports.default = stageInputsExecutor;
