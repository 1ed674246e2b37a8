// tfjs-backend-cpu greets its first tensor in Node with "Hi, looks like you are running TensorFlow.js in Node.js";
// the pipeline chose the backend and says so itself, so initBackend('cpu') switches the greeting off. A fresh
// process: the greeting comes once per process, and other tests may have used the backend already.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const init = fileURLToPath(new URL('./backend.ts', import.meta.url));

describe('initBackend("cpu")', () => {
  it('prints no tfjs greeting', () => {
    const script = `const { initBackend } = await import(${JSON.stringify(init)}); const tf = await import('@tensorflow/tfjs'); ` +
      "await initBackend('cpu'); tf.tensor([1, 2, 3]).square().dataSync(); console.log('ran on', tf.getBackend());";
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('ran on cpu');
    expect(r.stdout + r.stderr).not.toContain('looks like you are running TensorFlow.js in Node.js');
  });
});
