import { describe, expect, it } from 'vitest';
import { buildReport } from './build.ts';
import { workersCell } from './summary.ts';
import { fakeDataset } from './testing/fake-dataset.ts';
import { markdownToHtml } from './testing/markdown-html.ts';
import { syntheticInput } from './testing/synthetic.ts';
import { assertSvgFile } from './testing/xml.ts';

const SECTIONS = ['Run summary', 'Results', 'Training curves', 'The value of recursion', 'Halting', 'Examples',
  'Refinement trajectories', 'Comparison', 'Reproduce'];

describe('buildReport on a synthetic run', async () => {
  const input = syntheticInput();
  const out = await buildReport(input);
  const html = markdownToHtml(out.markdown);

  it('has every section, in order, and a contents line whose links resolve', () => {
    const headings = [...out.markdown.matchAll(/^## \d+\. (.*)$/gm)].map((m) => m[1]);
    expect(headings).toEqual(SECTIONS);
    const anchors = html.links.filter((l) => l.startsWith('#'));
    expect(anchors).toHaveLength(SECTIONS.length);
    for (const a of anchors) expect(html.ids).toContain(a.slice(1));
  });

  it('links every image it writes, with relative paths only, and writes every image it links', () => {
    expect(html.images.length).toBeGreaterThan(10);
    for (const src of html.images) {
      expect(src).toMatch(/^img\/[\w.-]+\.svg$/);
      expect(out.files).toHaveProperty([src]);
    }
    expect(new Set(html.images)).toEqual(new Set(Object.keys(out.files)));
  });

  it('writes well-formed SVG documents', () => {
    for (const [name, svg] of Object.entries(out.files)) {
      assertSvgFile(svg, name);
    }
  });

  it('draws the charts with vega (training curves, per-step accuracy, halting)', () => {
    for (const f of ['loss', 'accuracy', 'lr', 'accuracy_per_step', 'halting_histogram', 'halt_steps_train', 'q_halt']) {
      expect(out.files[`img/${f}.svg`]).toContain('class="marks"');
    }
    expect(out.files['img/loss.svg']).toContain('q_halt_loss');
  });

  it('shows the run summary: config, dataset, backend, commit, parameters, stage hashes and times', () => {
    expect(out.markdown).toContain('`fake-tiny`');
    expect(out.markdown).toContain('cpu 4.22.0');
    expect(out.markdown).toContain('| Training threads | 2 worker threads (recorded by the train stage) |');
    expect(out.markdown).toContain('`0123456789abcdef0123456789abcdef01234567` (recorded by the train stage; clean)');
    expect(out.markdown).toContain('123,456 (model) + 0 (puzzle embeddings)');
    expect(out.markdown).toMatch(/\| train \| 6\.0 s \| `333333333333` \|/);
    // 50 training steps in 6 s
    expect(out.markdown).toContain('8.33 steps/s');
    expect(out.markdown).toContain('<summary>Resolved config</summary>');
    expect(out.markdown).toContain(JSON.stringify(input.config, null, 2));
  });

  it('reports the metrics, the task metrics and the per-step accuracy', () => {
    expect(out.markdown).toMatch(/\| exact accuracy \| 33\.3% \|/);
    expect(out.markdown).toMatch(/\| `path_valid` \| 50\.0% \|/);
    expect(out.markdown).toMatch(/\| `num_valid_paths` \| 2 \|/);
    expect(out.markdown).toContain('exact accuracy goes from 0.0% after step 1 to 33.3% after step 6; token accuracy from 30.0% after step 1 to 80.0% after step 6.');
    expect(out.markdown).toContain('There is no published TRM result for dataset `fake`');
    // q_halt 2.5 on the solved example, -1.25 on the two unsolved: all three agree
    expect(out.markdown).toContain('it agrees with the outcome for 3 of 3 examples');
  });

  it('draws the examples with wrong cells marked and the refinement steps of those with trajectories', () => {
    // example 0 is right at the end but had 13 wrong cells after step 1: the recursion fixed it
    expect(out.markdown).toContain('### Test example 0 (group 0): fixed by the recursion (13 wrong after step 1, right from step 6)');
    // example 1 reaches 5/6 of the cells: 16 - round(16*5/6) = 3 wrong
    expect(out.markdown).toContain('### Test example 1 (group 1): not solved (3 wrong cells; 16 wrong after step 1)');
    expect(out.markdown).toContain('Here: 1 fixed by the recursion (wrong after step 1, right at the end), 2 not solved.');
    expect(out.files['img/example-1-pred.svg'].match(/#f4a6a6/g)).toHaveLength(3);
    expect(out.files['img/example-0-pred.svg']).not.toContain('#f4a6a6');
    expect(out.markdown).toContain('### Test example 0: prediction after each supervision step');
    expect(out.markdown).toContain('First fully correct after step 6.');
    expect(out.markdown).toContain('step 1: 13 wrong cells');
    expect(out.markdown).toContain('step 6: right');
    expect(out.markdown).not.toContain('### Test example 2: prediction after each');
  });

  it('passes the givens (filled in the input, kept by the target) to the renderer for prediction, target and steps', () => {
    // example 0: the input keeps cells 0, 3, 6, 9, 12, 15 of digits (i % 4); digit 0 is the blank, so 3, 6, 9, 15 are givens
    const given = (svg: string) => [...svg.matchAll(/<text [^>]*>/g)].map((m, i) => (m[0].includes('class="given"') ? i : -1)).filter((i) => i >= 0);
    for (const f of ['pred', 'target', 'step-1', 'step-6']) expect(given(out.files[`img/example-0-${f}.svg`])).toEqual([3, 6, 9, 15]);
    expect(given(out.files['img/example-0-input.svg'])).toEqual([]);
    // example 1 is wrong in its last 3 cells, none of them a given: the wrong marks stay
    expect(given(out.files['img/example-1-pred.svg'])).toEqual([0, 6, 9, 12]);
    expect(out.files['img/example-1-pred.svg'].match(/#f4a6a6/g)).toHaveLength(3);
  });

  it('gives the exact reproduce commands with quoted overrides', () => {
    expect(out.markdown).toContain(
      "git checkout 0123456789abcdef0123456789abcdef01234567\nnpm ci\nnpx nx run pipeline:report --config fake-tiny \\\n  --set train.lr=1e-4 \\\n  --set 'report.title=it'\\''s synthetic'\n```",
    );
  });

  it('gives the plain commands when there are no overrides', async () => {
    const plain = await buildReport({ ...syntheticInput(), overrides: [] });
    expect(plain.markdown).toContain('npm ci\nnpx nx run pipeline:report --config fake-tiny\n```\n\nWithout Nx, `npm run trm -- report` takes the same arguments.');
  });

  it('is deterministic', async () => {
    const again = await buildReport(syntheticInput());
    expect(again.markdown).toBe(out.markdown);
    expect(again.files).toEqual(out.files);
  });
});

describe('buildReport of an imported model', () => {
  it('says where the weights came from instead of describing a training run', async () => {
    const out = await buildReport({ ...syntheticInput({ trainSteps: 0 }), imported: { file: '/ckpt/step_65100', sha256: 'ab'.repeat(32), format: 'pytorch-zip', dtypes: ['bfloat16'] } });
    expect(out.markdown).toContain('**An imported model.** Its weights come from `/ckpt/step_65100` (pytorch-zip, bfloat16, sha256 `abababababab`)');
    expect(out.markdown).toContain('| Training | none here: the model was imported from `/ckpt/step_65100`');
    expect(out.markdown).toContain('None: the model was imported (see the run summary), not trained here.');
    expect(out.markdown).not.toContain('This run trained');
  });
});

describe('buildReport against the published numbers', () => {
  it('puts the Sudoku-Extreme result and the scale gap beside a sudoku run', async () => {
    const base = syntheticInput();
    const out = await buildReport({
      ...base, dataset: { ...fakeDataset, name: 'sudoku' },
      config: { ...base.config, arch: { ...(base.config.arch as object), mlp_t: true } },
    });
    expect(out.markdown).toContain('**A home-scale run, not a reproduction.**');
    expect(out.markdown).toContain('This run trained 50 optimizer steps at batch 8 (configured for 5 epochs) on 80 training examples with a 123,456-parameter model.');
    // this run's figures alone in the results table; the paper's in a table of their own, labelled as such
    expect(out.markdown).toMatch(/\| test metric \| this run \|\n\| --- \| ---: \|\n\| exact accuracy \| 33\.3% \|\n/);
    expect(out.markdown).not.toMatch(/\| exact accuracy \| 33\.3% \| 87/);
    expect(out.markdown).toContain('**Published results (arXiv 2510.04871), for orientation only.** They were measured on other data');
    expect(out.markdown).toContain('| Sudoku-Extreme | mlp_t, no positional encoding | `exact_accuracy` | 87.4% |');
    expect(out.markdown).toContain('| Sudoku-Extreme | attention | `exact_accuracy` | 74.7% |');
    expect(out.markdown).toContain('| epochs | 5 | 50,000 | 1/10,000 |');
    expect(out.markdown).toContain('| global batch size | 8 | 768 | 1/96 |');
    // published: 50000 epochs x 1000 puzzles / 768
    expect(out.markdown).toContain('| optimizer steps | 50 | 65,104 | 1/1,302 |');
    expect(out.markdown).toContain('| training examples (with augmentations) | 80 | 1,001,000 | 1/12,513 |');
    expect(out.markdown).toContain('| H_cycles | 2 | 3 | 0.67× |');
    expect(out.markdown).toContain('| tokens per example (seq_len) | 16 | 81 | 0.2× |');
    expect(out.markdown).toMatch(/\| mixer \| mlp_t \| mlp_t \| same \|/);
    expect(out.markdown).toContain('arXiv 2510.04871');
  });

  it('matches ARC pass@2 whatever the spelling of the task metric, and picks ARC-AGI-2 from the test set name', async () => {
    const base = syntheticInput();
    const arc = { ...base, dataset: { ...fakeDataset, name: 'arc' } };
    const out = await buildReport({ ...arc, evalMetrics: { ...base.evalMetrics, task: { pass_at_1: 0.1, pass_at_2: 0.125 } } });
    expect(out.markdown).toMatch(/\| `pass_at_2` \| 12\.5% \|\n/);
    expect(out.markdown).toMatch(/\| `pass_at_1` \| 10\.0% \|\n/);
    expect(out.markdown).toContain('| ARC-AGI-1 | attention, rope | `pass@2` | 44.6% |');
    const two = await buildReport({
      ...arc, config: { ...base.config, fetch: { test_set_name: 'evaluation2' } },
      evalMetrics: { ...base.evalMetrics, task: { 'ARC/pass@2': 0.05 } },
    });
    expect(two.markdown).toMatch(/\| `ARC\/pass@2` \| 5\.0% \|\n/);
    // ARC-AGI-2 first: the scale table is against its recipe
    expect(two.markdown).toMatch(/\| ARC-AGI-2 \| attention, rope \| `pass@2` \| 7\.8% \|\n\| ARC-AGI-1 \| attention, rope \| `pass@2` \| 44\.6% \|/);
    expect(two.markdown).toContain('Scale of this run against the published ARC-AGI-2 recipe');
  });
});

describe('buildReport comparison', () => {
  it('shows only the params that differ and every metric with its change', async () => {
    const base = syntheticInput();
    const other = structuredClone(base.config) as Record<string, any>;
    other.train.lr = 3e-4;
    other.arch.hidden_size = 128;
    delete other.description;
    const out = await buildReport({
      ...base,
      comparison: { label: 'fake-base', config: other, metrics: { exact_accuracy: 0.5, token_accuracy: 0.8, mean_steps: 6, old_only: 3 } },
    });
    const section = out.markdown.slice(out.markdown.indexOf('## 8. Comparison'), out.markdown.indexOf('## 9.'));
    expect(section).toContain('Against **fake-base** (old)');
    const paramRows = section.slice(section.indexOf('#### Params diff'), section.indexOf('#### Metrics diff')).split('\n').filter((l) => l.startsWith('| `'));
    expect(paramRows).toEqual([
      '| `arch.hidden_size` | `128` | `64` |',
      '| `description` | — | `"synthetic run for report tests"` |',
      '| `train.lr` | `0.0003` | `0.0001` |',
    ]);
    expect(section).toContain('| `exact_accuracy` | 50.0% | 33.3% | −16.7 pp |');
    expect(section).toContain('| `mean_steps` | 6 | 6 | 0 |');
    expect(section).toContain('Changes of rates are in percentage points (pp)');
    expect(section).toContain('| `token_accuracy` | 80.0% | 80.0% | 0 |');
    expect(section).toContain('| `q_halt_accuracy` | n/a | 66.7% | — |');
    expect(section).toContain('| `old_only` | 3 | n/a | — |');
    expect(() => markdownToHtml(out.markdown)).not.toThrow();
  });

  it('says how to get a comparison when there is none', async () => {
    const out = await buildReport(syntheticInput());
    expect(out.markdown).toContain('No comparison run. Pass `--compare OTHER_CONFIG`');
  });
});

describe('the training threads row', () => {
  const cell = (workers: number | null, runtime?: Record<string, unknown>) => {
    const base = syntheticInput();
    const config = { ...base.config, runtime };
    if (runtime === undefined) delete config.runtime;
    return workersCell({ ...base, config, training: { ...base.training, workers } });
  };

  it('shows the recorded worker count, or the main thread', () => {
    expect(cell(1, { workers: 2 })).toBe('1 worker thread (recorded by the train stage)');
    expect(cell(0)).toBe('the main thread only (recorded by the train stage)');
  });

  it('shows the config value, labelled as such, when the train stage recorded none', () => {
    const unrecorded = 'the train stage recorded no worker count';
    expect(cell(null, { workers: 2 })).toBe(`2 worker threads as configured (\`runtime.workers\` in the config; ${unrecorded})`);
    expect(cell(null, { workers: 0 })).toBe(`the main thread only as configured (\`runtime.workers\` in the config; ${unrecorded})`);
    expect(cell(null, { workers: 'auto' })).toBe(`\`"auto"\` as configured (\`runtime.workers\` in the config; ${unrecorded})`);
    expect(cell(null)).toBe(`n/a (${unrecorded} and the config sets no \`runtime.workers\`)`);
  });
});

describe('buildReport with little data', () => {
  it('explains missing training rows, per-step accuracy and trajectories instead of drawing empty charts', async () => {
    const base = syntheticInput({ trainSteps: 0, examples: 0 });
    const out = await buildReport({
      ...base, testRows: { steps: new Int32Array(0), qHalt: new Float32Array(0), correct: new Uint8Array(0) }, evalMetrics: { ...base.evalMetrics, accuracy_per_step: [], exact_accuracy_per_step: [] },
    });
    expect(out.markdown).toContain('The train stage recorded no metrics rows.');
    expect(out.markdown).toContain('The evaluate stage recorded no per-step accuracy.');
    expect(out.markdown).toContain('No examples were evaluated.');
    expect(Object.keys(out.files)).toEqual([]);
    expect(() => markdownToHtml(out.markdown)).not.toThrow();
  });
});
