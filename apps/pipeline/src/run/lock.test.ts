// The run lock in this process: held, refused with the holder's details, taken over from a process that is gone (or
// whose pid now belongs to another process), never from another host; released only by its holder.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock, holderState, lockPath, processStart, readLock, releaseLock, type LockHolder } from './lock.ts';

const DEAD = 2 ** 22 + 77; // above the default pid_max: no such process
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'trm-lock-'));
const holder = (h: Partial<LockHolder>): LockHolder => ({ pid: 1, host: os.hostname(), started: '2026-01-01T00:00:00.000Z', command: 'trm train --config c', processStart: processStart(1), token: 't', ...h });

describe('run lock', () => {
  it('is taken, refused to a second holder with its pid, host, start and command, and released at the end', () => {
    const a = tmp();
    const log: string[] = [];
    acquireLock(a, 'c', (m) => log.push(m), 'trm train --config c');
    const h = readLock(lockPath(a, 'c'))!;
    expect(h).toMatchObject({ pid: process.pid, host: os.hostname(), command: 'trm train --config c' });
    expect(Date.parse(h.started)).toBeGreaterThan(Date.now() - 60_000);
    acquireLock(a, 'c', (m) => log.push(m)); // the holder itself: no-op
    releaseLock(a, 'c');
    expect(fs.readdirSync(path.join(a, 'c'))).toEqual([]);

    fs.mkdirSync(path.join(a, 'd'));
    fs.writeFileSync(lockPath(a, 'd'), JSON.stringify(holder({})));
    expect(holderState(holder({}))).toBe('running');
    expect(() => acquireLock(a, 'd', (m) => log.push(m))).toThrow(new RegExp(`${a}/d is in use by pid 1 on this host, running \`trm train --config c\` since 2026-01-01T00:00:00.000Z \\(.*\\); wait for it to end, or stop it with \`kill -INT 1\``));
    expect(readLock(lockPath(a, 'd'))!.pid).toBe(1); // untouched
    expect(log).toEqual([]);
  });

  it('takes over the lock of a process that is gone, or whose pid was reused, with a message', () => {
    const a = tmp();
    for (const [name, h] of [['gone', holder({ pid: DEAD })], ['reused', holder({ pid: 1, processStart: 'not-the-same' })]] as const) {
      fs.mkdirSync(path.join(a, name));
      fs.writeFileSync(lockPath(a, name), JSON.stringify(h));
      const log: string[] = [];
      acquireLock(a, name, (m) => log.push(m));
      expect(log).toEqual([`trm: taking over ${lockPath(a, name)} from pid ${h.pid} (\`trm train --config c\`, since 2026-01-01T00:00:00.000Z), which is no longer running`]);
      expect(readLock(lockPath(a, name))!.pid).toBe(process.pid);
      releaseLock(a, name);
      expect(fs.existsSync(lockPath(a, name))).toBe(false);
    }
  });

  it('never takes over a lock of another host', () => {
    const a = tmp();
    fs.mkdirSync(path.join(a, 'c'));
    fs.writeFileSync(lockPath(a, 'c'), JSON.stringify(holder({ pid: DEAD, host: 'elsewhere' })));
    expect(() => acquireLock(a, 'c', () => {})).toThrow(`${a}/c is locked by pid ${DEAD} on host elsewhere, running \`trm train --config c\``);
    expect(() => acquireLock(a, 'c', () => {})).toThrow(`if no run of this config is going on there, delete ${lockPath(a, 'c')}`);
  });
});
