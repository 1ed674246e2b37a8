import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { PickleError, PyDict, PyGlobal, PyTuple, readCheckpoint, unpickle } from './index.ts';
import type { PyValue } from './index.ts';
import { assemble, callPickle, stackGlobalPickle } from './testing/pickles.ts';

const NONE_ALLOWED = { globals: {} };

describe('restricted pickle reader: what a state dict uses', () => {
  it('reads containers, numbers, strings, memo and both global opcodes', () => {
    const v = unpickle(assemble(
      ['PROTO', 4], ['FRAME', 60], ['EMPTY_DICT'], ['MEMOIZE'], ['MARK'],
      ['SHORT_BINUNICODE', 'a'], ['BININT1', 7],
      ['SHORT_BINUNICODE', 'big'], ['LONG1', [0, 0, 0, 0, 0, 0, 0, 0, 1]], // 2^64
      ['SHORT_BINUNICODE', 'neg'], ['LONG1', [0xff]], // -1
      ['SHORT_BINUNICODE', 'f'], ['BINFLOAT', 0.1],
      ['SHORT_BINUNICODE', 't'], ['BININT1', 1], ['BININT', 70000], ['NONE'], ['TUPLE3'],
      ['SHORT_BINUNICODE', 'l'], ['EMPTY_LIST'], ['MARK'], ['NEWTRUE'], ['NEWFALSE'], ['APPENDS'],
      ['SHORT_BINUNICODE', 'g'], ['SHORT_BINUNICODE', 'collections'], ['SHORT_BINUNICODE', 'OrderedDict'], ['STACK_GLOBAL'],
      ['SETITEMS'], ['STOP'],
    ), { globals: { 'collections.OrderedDict': null } });
    expect(v).toBeInstanceOf(PyDict);
    const d = (v as PyDict).entries;
    expect(d.get('a')).toBe(7);
    expect(d.get('big')).toBe(2n ** 64n);
    expect(d.get('neg')).toBe(-1);
    expect(d.get('f')).toBe(0.1);
    expect((d.get('t') as PyTuple).items).toEqual([1, 70000, null]);
    expect(d.get('l')).toEqual([true, false]);
    expect((d.get('g') as PyGlobal).qualified).toBe('collections.OrderedDict');
  });

  it('calls an allowed global through its handler, and BUILD sets a dict attribute (OrderedDict._metadata)', () => {
    const calls: PyValue[][] = [];
    const v = unpickle(assemble(
      ['PROTO', 2], ['GLOBAL', 'collections', 'OrderedDict'], ['EMPTY_TUPLE'], ['REDUCE'],
      ['EMPTY_DICT'], ['BINUNICODE', '_metadata'], ['EMPTY_DICT'], ['SETITEM'], ['BUILD'], ['STOP'],
    ), { globals: { 'collections.OrderedDict': (args) => { calls.push(args); return new PyDict(); } } });
    expect(calls).toEqual([[]]);
    expect((v as PyDict).attributes.has('_metadata')).toBe(true);
  });
});

describe('restricted pickle reader: refusals', () => {
  // Each of these runs a shell command (touch FILE) under Python's pickle.load / torch.load(weights_only=False).
  const py = (file: string) => `__import__('os').system('touch ${file}')`;
  const evil: [string, (file: string) => Uint8Array, RegExp][] = [
    ['os.system', (f) => callPickle('os', 'system', `touch ${f}`), /refused global os\.system/],
    ['posix.system', (f) => callPickle('posix', 'system', `touch ${f}`), /refused global posix\.system/],
    ['builtins.eval', (f) => callPickle('builtins', 'eval', py(f)), /refused global builtins\.eval/],
    ['builtins.exec via STACK_GLOBAL', (f) => stackGlobalPickle('builtins', 'exec', py(f)), /refused global builtins\.exec/],
    ['subprocess.getoutput', (f) => callPickle('subprocess', 'getoutput', `touch ${f}`), /refused global subprocess\.getoutput/],
    ['INST os.system', (f) => assemble(['MARK'], ['BINUNICODE', `touch ${f}`], ['INST', 'os', 'system'], ['STOP']), /refused opcode INST/],
  ];

  it.each(evil)('%s is refused with an error naming it', (_name, make, message) => {
    expect(() => unpickle(make('MARKER'), { globals: { 'collections.OrderedDict': null }, name: 'evil.pkl' })).toThrow(message);
    expect(() => unpickle(make('MARKER'), NONE_ALLOWED)).toThrow(PickleError);
  });

  it('the test pickles are real: Python runs them, this reader refuses them and nothing runs', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trm-pickle-'));
    try {
      const markers = evil.map((_, i) => path.join(dir, `MARKER${i}`));
      evil.forEach(([name, make], i) => {
        const bytes = make(markers[i]);
        expect(() => unpickle(bytes, { globals: {} }), name).toThrow(PickleError);
        fs.writeFileSync(path.join(dir, `evil${i}.pkl`), bytes);
      });
      expect(markers.filter((m) => fs.existsSync(m)), 'nothing may run').toEqual([]);
      const script = `import pickle,sys\nfor f in sys.argv[1:]:\n    pickle.load(open(f, 'rb'))`;
      const run = spawnSync('python3', ['-c', script, ...evil.map((_, i) => path.join(dir, `evil${i}.pkl`))], { cwd: dir });
      if (run.error || run.status !== 0) {
        console.log(`python3 did not run (${run.error?.message ?? run.stderr.toString().trim().split('\n').pop()}): the refusals are checked, not that Python would run the payloads`);
        return;
      }
      expect(markers.map((m) => fs.existsSync(m)), "python3's pickle.load runs every payload (so the refusals matter)").toEqual(markers.map(() => true));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an allowed data-only global (a storage type) cannot be called', () => {
    const bytes = assemble(['PROTO', 2], ['GLOBAL', 'torch', 'FloatStorage'], ['EMPTY_TUPLE'], ['REDUCE'], ['STOP']);
    expect(() => unpickle(bytes, { globals: { 'torch.FloatStorage': null } })).toThrow(/refused call of torch\.FloatStorage/);
  });

  it.each([
    ['OBJ', assemble(['MARK'], ['GLOBAL', 'collections', 'OrderedDict'], ['OBJ'], ['STOP'])],
    ['NEWOBJ', assemble(['GLOBAL', 'collections', 'OrderedDict'], ['EMPTY_TUPLE'], ['NEWOBJ'], ['STOP'])],
  ])('opcode %s is refused', (name, bytes) => {
    expect(() => unpickle(bytes, { globals: { 'collections.OrderedDict': null } })).toThrow(new RegExp(`refused opcode ${name}`));
  });

  it('BUILD on anything but a dict is refused (it would call __setstate__)', () => {
    const bytes = assemble(['PROTO', 2], ['EMPTY_LIST'], ['EMPTY_DICT'], ['BUILD'], ['STOP']);
    expect(() => unpickle(bytes, NONE_ALLOWED)).toThrow(/BUILD is accepted only/);
  });

  it('truncated and malformed pickles fail with a clear error', () => {
    expect(() => unpickle(assemble(['PROTO', 2], ['EMPTY_DICT']), NONE_ALLOWED)).toThrow(/no STOP/);
    expect(() => unpickle(Uint8Array.from([0x58, 5, 0, 0, 0, 0x61]), NONE_ALLOWED)).toThrow(/truncated: BINUNICODE/);
    expect(() => unpickle(assemble(['SETITEMS'], ['STOP']), NONE_ALLOWED)).toThrow(/no MARK/);
  });

  it('a checkpoint zip whose data.pkl calls os.system is refused by readCheckpoint, naming the file', () => {
    const zip = zipSync({ 'step_9/data.pkl': callPickle('os', 'system', 'echo pwned'), 'step_9/version': new TextEncoder().encode('3\n') });
    expect(() => readCheckpoint(zip, 'downloads/step_9')).toThrow(/downloads\/step_9: step_9\/data\.pkl: refused global os\.system/);
  });
});
