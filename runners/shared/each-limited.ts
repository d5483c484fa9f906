/** A bounded pool over a list: what the s3 runners use to keep N transfers in flight. */
import { setMaxListeners } from 'node:events';

/** Run `work` on every item, `lanes` at once. A failing item stops the rest and is rethrown; a stop of `outer` just ends early. */
export async function eachLimited<T>(items: readonly T[], lanes: number, outer: AbortSignal, work: (item: T, signal: AbortSignal) => Promise<void>): Promise<void> {
  const stop = new AbortController();
  const signal = AbortSignal.any([outer, stop.signal]);
  // Each lane's request listens on this signal while it is in flight (the SDK adds a few per request):
  // that many are expected, more would be a leak worth the warning.
  setMaxListeners(Math.max(10, lanes * 4), signal);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (!signal.aborted && next < items.length) {
      const item = items[next++] as T;
      try {
        await work(item, signal);
      } catch (error) {
        if (!outer.aborted && !failure) {
          failure = { error };
          stop.abort(error);
        }
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(lanes, items.length) }, lane));
  if (failure) throw failure.error;
}
