import { describe, it } from 'vitest';
import fs from 'node:fs';
import { datasetLaws } from '@trm/dataset';
import { arc } from './index.ts';
import { ARC_DATA, fsIO } from './test-support.ts';

// The DatasetLib contract's laws (libs/dataset/src/conformance.ts) on the ARC-AGI-1 sample tasks of ../shared
// (arc-tiny's data), with the default augmentation (dihedral, colours, translation: a translated example is checked
// for shape and vocabulary, not decoded, since it decodes to its canvas position).
const data = `${ARC_DATA}/arc-agi-1-per-task-samples`;
if (!fs.existsSync(data)) console.log(`arc conformance: skipped, ${data} is absent`);
describe.skipIf(!fs.existsSync(data))('arc: DatasetLib laws', () => {
  const laws = datasetLaws(arc, {
    fetch: { layout: 'per-task', path: data, subsets: ['training', 'evaluation'], test_set_name: 'evaluation' },
    augment: { num_aug: 2 },
    encode: {},
    evaluate: { pass_ks: [1, 2] },
    seed: 0,
    io: fsIO(fs),
  });
  for (const law of laws) it(law.name, law.check);
});
