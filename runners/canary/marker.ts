/** A canary marker: what the writer puts into the store, and what the reader needs to bound the RPO. */

export interface Marker {
  /** 1, 2, 3 … for one writer. */
  seq: number;
  /** When the writer made it (drillbook's wall time, advanced monotonically), ISO 8601 UTC. */
  writtenAt: string;
  /** Random id of the writing attempt, to tell runs apart in a shared store. */
  writer: string;
  intervalMs: number;
  /** Longest time between two markers so far (at least the interval when the writer keeps up). */
  maxGapMs: number;
  /** Longest write so far, before this marker (a marker is stored some time after it is stamped). */
  maxWriteMs: number;
  /** System clock minus the writer's monotonic wall time: non-zero when the clock was stepped meanwhile. */
  clockDriftMs: number;
}

/** The marker in `text`, or undefined when it is not one (a torn line, foreign data). */
export function parseMarker(text: string): Marker | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const m = value as Record<string, unknown>;
  const numbers = ['seq', 'intervalMs', 'maxWriteMs', 'clockDriftMs'] as const;
  if (typeof m['writtenAt'] !== 'string' || Number.isNaN(Date.parse(m['writtenAt'])) || typeof m['writer'] !== 'string') return undefined;
  if (numbers.some((field) => typeof m[field] !== 'number' || !Number.isFinite(m[field]))) return undefined;
  const gap = m['maxGapMs'];
  return {
    seq: m['seq'] as number,
    writtenAt: m['writtenAt'],
    writer: m['writer'],
    intervalMs: m['intervalMs'] as number,
    maxGapMs: typeof gap === 'number' && Number.isFinite(gap) ? gap : (m['intervalMs'] as number),
    maxWriteMs: m['maxWriteMs'] as number,
    clockDriftMs: m['clockDriftMs'] as number,
  };
}

/** The newer of two markers (by stamp, then sequence). */
export function newerMarker(a: Marker, b: Marker | undefined): Marker {
  if (!b) return a;
  const at = Date.parse(a.writtenAt);
  const bt = Date.parse(b.writtenAt);
  return at !== bt ? (at > bt ? a : b) : a.seq >= b.seq ? a : b;
}
