/**
 * `canary.read`: RPO achieved = T0 − newest marker that survived. Markers are stamped every `interval`
 * and stored some milliseconds later, so the data-loss boundary lies between the newest surviving marker
 * and the next one: the true RPO is in [rpoMs − uncertaintyMs, rpoMs], with uncertaintyMs = the longest
 * gap between markers (at least the interval) + the longest write seen + any step of the writer's clock,
 * on the assumption that the write under way at the disaster was no slower than those before it. rpoMs is
 * the bound an auditor can rely on (never better than reality).
 */
import type { Observation, ParsedAttemptContext, TypedStepRunner } from '../../src/runner-contract.js';
import { jsonObservation } from '../shared/json-report.js';
import { describeCanaryError } from './describe-error.js';
import type { CanaryReadOptions } from './definition.js';
import { openMarkerStore } from './open-store.js';
import type { MarkerStore } from './stores/store.js';

/** The `canary.read` runner. */
export function createCanaryReadRunner(): TypedStepRunner<CanaryReadOptions> {
  return { run: runRead };
}

async function runRead(ctx: ParsedAttemptContext<CanaryReadOptions>): Promise<Observation> {
  const { options } = ctx;
  const t0Ms = Date.parse(options.t0);
  let store: MarkerStore;
  try {
    store = await openMarkerStore(ctx, options, 'canary.read');
  } catch (error) {
    return { error: describeCanaryError(error, 'canary.read', 'marker store') };
  }
  try {
    const found = await store.newest(ctx.signal);
    if (!found) {
      return {
        error: { code: 'CANARY_NO_MARKER', message: `canary.read: no marker survived in ${store.describe}; the RPO cannot be measured` },
        details: { store: store.describe },
      };
    }
    const { marker } = found;
    const sinceMarkerMs = t0Ms - Date.parse(marker.writtenAt);
    // A marker stamped after T0 survived: nothing written before T0 was lost.
    const rpoMs = Math.max(0, Math.round(sinceMarkerMs));
    const uncertaintyMs = Math.max(marker.intervalMs, marker.maxGapMs) + marker.maxWriteMs + Math.abs(marker.clockDriftMs);
    const result = {
      rpoMs,
      rpoLowerBoundMs: Math.max(0, rpoMs - uncertaintyMs),
      uncertaintyMs,
      t0: new Date(t0Ms).toISOString(),
      newestMarker: marker,
      markersFound: found.count,
      store: store.describe,
    };
    const details = {
      store: store.describe,
      rpoMs,
      uncertaintyMs,
      intervalMs: marker.intervalMs,
      markerGapMaxMs: marker.maxGapMs,
      writeLatencyMaxMs: marker.maxWriteMs,
      clockDriftMs: marker.clockDriftMs,
      ...(found.storeClockOffsetMs === undefined ? {} : { storeClockOffsetMs: Math.round(found.storeClockOffsetMs) }),
      markerAfterT0: sinceMarkerMs < 0,
      newestSeq: marker.seq,
      writer: marker.writer,
    };
    return jsonObservation(ctx, result, details);
  } catch (error) {
    return { error: describeCanaryError(error, 'canary.read', `reading ${store.describe}`), details: { store: store.describe } };
  } finally {
    await store.close().catch(() => undefined);
  }
}
