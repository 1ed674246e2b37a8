// What SIGINT, SIGTERM and SIGHUP do to a running command. Long loops (training, evaluation) poll `stopRequested()`
// between steps and stop at a checkpoint; anywhere else a signal ends the process at once, after the exit cleanups
// (our temporary folders, the run lock). A second signal while a loop is stopping (more than a second after the first:
// see DUPLICATE_MS) ends the process at once too.
import * as fs from 'node:fs';
import * as os from 'node:os';

export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** Thrown by a loop that stopped on a signal after saving its work; main exits with 128 + the signal's number. */
export class StoppedError extends Error {
  constructor(readonly signal: StopSignal, message: string) {
    super(message);
    this.name = 'StoppedError';
  }
}

/** 128 + the signal's number: the exit code of a process ended by that signal (130 for SIGINT, 143 for SIGTERM). */
export function signalExitCode(signal: StopSignal): number {
  return 128 + os.constants.signals[signal];
}

let requested: StopSignal | null = null;
let stoppableDepth = 0;
let installed = false;
const cleanups = new Set<() => void>();

/** The signal received while a stoppable loop ran, or null. */
export function stopRequested(): StopSignal | null {
  return requested;
}

/** Asks the running (or next) stoppable loop to stop as on `signal`: what a signal does; also for tests and embedders. */
export function requestStop(signal: StopSignal): void {
  requested = signal;
}

/** Forgets a stop request (after the loop it stopped has ended, for a process that goes on: tests, embedders). */
export function clearStop(): void {
  requested = null;
}

/**
 * Runs `work` as a loop that stops on its own: while it runs, a first signal only sets `stopRequested()` (and says
 * so on stderr); the loop saves its work and throws a StoppedError.
 */
export async function stoppable<T>(work: () => Promise<T>): Promise<T> {
  stoppableDepth++;
  try {
    return await work();
  } finally {
    stoppableDepth--;
  }
}

/** Registers a synchronous cleanup that runs when the process exits, whatever the reason; returns its remover. */
export function onExit(fn: () => void): () => void {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

function runCleanups(): void {
  for (const fn of [...cleanups]) {
    cleanups.delete(fn);
    try {
      fn();
    } catch {
      // an exit cleanup must not stop the others
    }
  }
}

/** True when the process started with SIGHUP ignored (nohup): then it stays ignored. */
function hupIgnored(): boolean {
  try {
    const line = fs.readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('SigIgn:'));
    return !!line && (BigInt(`0x${line.slice(7).trim()}`) & 1n) === 1n;
  } catch {
    return false;
  }
}

/**
 * A signal within this many ms of the first one is the same request delivered twice, not a second one: wrappers and
 * process managers do that (Nx sends a task two SIGTERMs 10 ms apart; Ctrl-C reaches it as SIGINT from the terminal
 * and as Nx's SIGTERM).
 */
export const DUPLICATE_MS = 1000;
let requestedAt = 0;

function onSignal(signal: StopSignal, write: (s: string) => void): void {
  if (stoppableDepth > 0 && requested === null) {
    requested = signal;
    requestedAt = Date.now();
    write(`trm: ${signal} received: stopping after the current step and saving a checkpoint (another ${signal === 'SIGINT' ? 'Ctrl-C' : signal} quits at once)\n`);
    return;
  }
  if (requested !== null && Date.now() - requestedAt < DUPLICATE_MS) return;
  write(`trm: stopped by ${signal}${requested ? ' (a second signal: not waiting for the checkpoint)' : ''}\n`);
  process.exit(signalExitCode(signal));
}

/**
 * Installs the handlers (once per process). `watchParent`: stop as on SIGHUP when the parent process goes away
 * (npm does not forward SIGHUP to its script, and a script whose npm is gone has nobody waiting for it).
 */
export function installSignalHandlers(opts: { watchParent?: boolean; write?: (s: string) => void } = {}): void {
  if (installed) return;
  installed = true;
  const write = opts.write ?? ((s: string) => { process.stderr.write(s); });
  process.on('exit', runCleanups);
  for (const signal of STOP_SIGNALS) {
    if (signal === 'SIGHUP' && hupIgnored()) continue;
    process.on(signal, () => onSignal(signal, write));
  }
  if (opts.watchParent) {
    const parent = process.ppid;
    const timer = setInterval(() => {
      if (process.ppid === parent) return;
      clearInterval(timer);
      write(`trm: the parent process (pid ${parent}) is gone\n`);
      onSignal('SIGHUP', write);
    }, 1000);
    timer.unref();
  }
}
