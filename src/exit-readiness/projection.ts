/** The arithmetic of an exit projection and its egress cost. Pure. */

/** A time interval in milliseconds (wall-clock instants of one attempt). */
export interface Interval {
  startMs: number;
  endMs: number;
}

/** Total time covered by the intervals: steps that ran in parallel count once. */
export function unionMs(intervals: readonly Interval[]): number {
  const sorted = intervals.filter((i) => i.endMs > i.startMs).sort((a, b) => a.startMs - b.startMs);
  let total = 0;
  let current: Interval | undefined;
  for (const interval of sorted) {
    if (current && interval.startMs <= current.endMs) {
      current.endMs = Math.max(current.endMs, interval.endMs);
      continue;
    }
    if (current) total += current.endMs - current.startMs;
    current = { ...interval };
  }
  return current ? total + current.endMs - current.startMs : total;
}

/** Bytes per second of a sample; undefined when it moved nothing or took no time. */
export function throughput(sampleBytes: number, sampleMs: number): number | undefined {
  return sampleBytes > 0 && sampleMs > 0 ? (sampleBytes * 1000) / sampleMs : undefined;
}

/** How long moving `volumeBytes` takes at the sample's rate (ms); nothing to move takes no time. */
export function projectDuration(volumeBytes: number, sampleBytes: number, sampleMs: number): number | undefined {
  if (volumeBytes === 0) return 0;
  return sampleBytes > 0 && sampleMs > 0 ? Math.round((volumeBytes * sampleMs) / sampleBytes) : undefined;
}

/** Egress cost of `bytes` at a price per GB of 10^9 bytes, rounded to cents. */
export function egressCost(bytes: number, pricePerGB: number): number {
  return Math.round((bytes / 1e9) * pricePerGB * 100) / 100;
}
