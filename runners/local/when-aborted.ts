/** An AbortSignal as a promise that can be disposed, so a finished attempt leaves no listener behind. */
export interface AbortWait {
  /** Resolves when the signal aborts (at once if it already has); never rejects. */
  promise: Promise<void>;
  dispose(): void;
}

export function whenAborted(signal: AbortSignal): AbortWait {
  let dispose = (): void => {};
  const promise = new Promise<void>((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const onAbort = (): void => {
      resolve();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    dispose = () => {
      signal.removeEventListener('abort', onAbort);
    };
  });
  return { promise, dispose };
}
