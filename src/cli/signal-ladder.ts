/**
 * The signal ladder, once for every command that drives runs: each terminating signal a process can catch
 * (SIGINT, SIGTERM, SIGHUP, SIGQUIT) climbs one rung; the command says what each rung does. Repeated signals
 * past the top stay on the top rung.
 */
import { handledSignals, type HandledSignal } from './exit-codes.js';

/** Where signals come from; index.ts provides the process. */
export interface SignalSource {
  on(signal: HandledSignal, listener: () => void): void;
  off(signal: HandledSignal, listener: () => void): void;
}

export interface SignalLadder {
  /** Signals received so far. */
  readonly count: number;
  /** The first signal received (it decides the exit code). */
  readonly first: HandledSignal | undefined;
  dispose(): void;
}

const ignore = (): void => undefined;

/** `rungs[i]` handles the (i+1)-th signal; the last rung handles every later one. */
export function installSignalLadder(source: SignalSource, rungs: readonly ((signal: HandledSignal) => void)[]): SignalLadder {
  let count = 0;
  let first: HandledSignal | undefined;
  const listeners = handledSignals.map((signal) => {
    const listener = (): void => {
      count += 1;
      first ??= signal;
      const rung = rungs[Math.min(count, rungs.length) - 1];
      rung?.(signal);
    };
    source.on(signal, listener);
    return [signal, listener] as const;
  });
  return {
    get count() {
      return count;
    },
    get first() {
      return first;
    },
    dispose() {
      // A signal between the end of the run and the exit must not kill the process with its default action
      // (the record is being printed, the exit code chosen): from now on signals are only swallowed.
      for (const [signal, listener] of listeners) {
        source.off(signal, listener);
        source.on(signal, ignore);
      }
    },
  };
}
