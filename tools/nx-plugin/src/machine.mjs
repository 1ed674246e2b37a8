// Prints the facts that decide stage outputs without being in a file of the repository (a `runtime` input of the
// stage-inputs target): the machine (cores, CPU, optional native TensorFlow packages) and a hash of each dataset lib
// named on the command line that Nx cannot hash itself (a package in node_modules, or a path outside the workspace),
// and the stage outputs `trm import-checkpoint` brought into artifacts/ (which Nx does not see), so that an import
// reruns stage-inputs and changes the hash of that config's train target.
import { importedOutputs, locateDataset, machineFacts, sourcesHash } from '../../../apps/pipeline/src/stages/inputs.mjs';

const root = process.cwd();
const libs = Object.fromEntries(process.argv.slice(2).map((name) => [name, sourcesHash(root, locateDataset(name, root).sources)]));
process.stdout.write(`${JSON.stringify({ ...machineFacts(root), libs, imported: importedOutputs(root) })}\n`);
