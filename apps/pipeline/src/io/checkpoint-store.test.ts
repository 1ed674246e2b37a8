// The checkpoint store: verified, atomic, at least two kept, damaged ones set aside, latest.json repaired, a full disk
// reported with the path and the size, no temporaries left behind.
import fsCjs from 'node:fs';
import * as fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CheckpointStore } from './checkpoint-store.ts';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'trm-ckpt-'));
const DEAD = 2 ** 22 + 4321; // above the default pid_max: no such process

function store(dir = path.join(tmp(), 'run')) {
  const messages: string[] = [];
  return { s: new CheckpointStore<{ note: string }>(dir, { log: (m) => messages.push(m) }), messages, dir };
}

function writeSteps(s: CheckpointStore<{ note: string }>, steps: number[]) {
  for (const step of steps) s.write(step, { 'state.bin': new Uint8Array(1000).fill(step), 'meta.json': JSON.stringify({ step }) }, { note: `n${step}` });
}

const realWriteSync = fsCjs.writeSync;
afterEach(() => {
  fsCjs.writeSync = realWriteSync;
  syncBuiltinESMExports();
});

describe('checkpoint store', () => {
  it('writes, verifies and reads back; keeps the newest two; latest.json names the newest', () => {
    const { s, dir } = store();
    writeSteps(s, [10, 20, 30]);
    expect(fs.readdirSync(dir).sort()).toEqual(['latest.json', 'step-20', 'step-30']);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'latest.json'), 'utf8'))).toEqual({ step: 30 });
    const c = s.latest()!;
    expect(c.step).toBe(30);
    expect(c.record.info).toEqual({ note: 'n30' });
    expect(Array.from(c.files['state.bin'].slice(0, 3))).toEqual([30, 30, 30]);
    expect(c.record.files['state.bin'].bytes).toBe(1000);
    expect(c.record.files['state.bin'].sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(s.latest({ maxStep: 25 })!.step).toBe(20);
    expect(s.latest({ accept: (r) => r.info.note === 'n20' })!.step).toBe(20);
    // rewriting the same step (a stop right after a periodic checkpoint) replaces it
    s.write(30, { 'state.bin': new Uint8Array(10) }, { note: 'again' });
    expect(s.latest()!.record.info.note).toBe('again');
  });

  it('skips a checkpoint with flipped bytes for the previous good one, and sets it aside', () => {
    const { s, dir, messages } = store();
    writeSteps(s, [10, 20]);
    const f = path.join(dir, 'step-20', 'state.bin');
    const b = fs.readFileSync(f);
    for (let i = 100; i < 164; i++) b[i] ^= 0xff;
    fs.writeFileSync(f, b);
    const c = s.latest()!;
    expect(c.step).toBe(10);
    expect(messages.join('\n')).toMatch(/step-20\/state.bin: sha256 .* does not match checkpoint.json .*; the checkpoint of step 20 is damaged, set aside as .*step-20.damaged; trying step 10/);
    expect(fs.existsSync(path.join(dir, 'step-20.damaged', 'state.bin'))).toBe(true);
    expect(s.damaged()).toEqual([path.join(dir, 'step-20.damaged')]);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'latest.json'), 'utf8'))).toEqual({ step: 10 });
    // the next write of step 20 is not blocked by the damaged folder
    writeSteps(s, [20]);
    expect(s.latest()!.step).toBe(20);
  });

  it('skips a truncated checkpoint and one with a broken checkpoint.json; null when none is left', () => {
    const { s, dir, messages } = store();
    writeSteps(s, [1, 2]);
    fs.truncateSync(path.join(dir, 'step-2', 'state.bin'), 10);
    fs.writeFileSync(path.join(dir, 'step-1', 'checkpoint.json'), '{"kind":');
    expect(s.latest()).toBeNull();
    expect(messages[0]).toMatch(/step-2\/state.bin: 10 bytes, checkpoint.json says 1000 \(truncated or modified\)/);
    expect(messages[1]).toMatch(/step-1\/checkpoint.json: not valid JSON/);
    expect(fs.existsSync(path.join(dir, 'latest.json'))).toBe(false);
  });

  it('rebuilds a broken, wrong or missing latest.json from the folders present', () => {
    const { s, dir, messages } = store();
    writeSteps(s, [5, 7]);
    const latest = path.join(dir, 'latest.json');
    fs.writeFileSync(latest, 'garbage');
    expect(s.latest()!.step).toBe(7);
    expect(messages.pop()).toMatch(/latest.json is not valid JSON \(Unexpected token .*\); rebuilt from the checkpoints present: step 7/);
    fs.writeFileSync(latest, '{"step": 999}');
    expect(s.latest()!.step).toBe(7);
    expect(messages.pop()).toMatch(/latest.json names step 999, but the newest complete checkpoint is step 7; rebuilt/);
    fs.rmSync(latest);
    expect(s.latest()!.step).toBe(7);
    expect(messages.pop()).toMatch(/latest.json is missing; rebuilt/);
    expect(JSON.parse(fs.readFileSync(latest, 'utf8'))).toEqual({ step: 7 });
    fs.rmSync(latest);
    fs.mkdirSync(latest);
    expect(s.latest()!.step).toBe(7);
    expect(messages.pop()).toMatch(/latest.json cannot be read \(EISDIR\); rebuilt/);
  });

  it('removes temporaries of dead processes, not of live ones', () => {
    const { s, dir } = store();
    writeSteps(s, [3]);
    fs.mkdirSync(path.join(dir, `step-4.tmp-${DEAD}`));
    fs.writeFileSync(path.join(dir, `latest.json.tmp-${DEAD}`), '');
    fs.mkdirSync(path.join(dir, 'step-4.tmp-1')); // pid 1 is alive
    expect(s.latest()!.step).toBe(3);
    expect(fs.readdirSync(dir).sort()).toEqual(['latest.json', 'step-3', 'step-4.tmp-1']);
  });

  it('on a full disk names the checkpoint, what it needs and what is free, and leaves nothing half-written', () => {
    const { s, dir } = store();
    writeSteps(s, [1, 2]);
    let calls = 0;
    fsCjs.writeSync = ((...args: Parameters<typeof fs.writeSync>) => {
      if (++calls === 2) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
      return (realWriteSync as (...a: unknown[]) => number)(...args);
    }) as typeof fs.writeSync;
    syncBuiltinESMExports();
    expect(() => writeSteps(s, [3])).toThrow(new RegExp(`cannot write the checkpoint of step 3 to ${dir}/step-3: no space left on device; it needs 1010 B, .* is free there; free some space`));
    fsCjs.writeSync = realWriteSync;
    syncBuiltinESMExports();
    expect(fs.readdirSync(dir).sort()).toEqual(['latest.json', 'step-1', 'step-2']);
    expect(s.latest()!.step).toBe(2);
  });
});
