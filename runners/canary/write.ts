/**
 * `canary.write`: a marker every `interval` (on a fixed schedule, not drifting with slow writes) until
 * the engine stops the step, normally at T0. Failed writes are counted, not fatal: a store that is
 * failing is what a drill is about. The step fails only when not one marker could be written.
 */
import { randomBytes } from 'node:crypto';
import type { Observation, ParsedAttemptContext, TypedStepRunner } from '../../src/runner-contract.js';
import { jsonObservation } from '../shared/json-report.js';
import { isUnsafeDestination } from '../shared/safe-files.js';
import { canaryErrorText, describeCanaryError } from './describe-error.js';
import type { CanaryWriteOptions } from './definition.js';
import type { Marker } from './marker.js';
import { openMarkerStore } from './open-store.js';
import type { MarkerStore } from './stores/store.js';
import { createWallClock } from './wall-clock.js';

export const defaultIntervalMs = 1_000;
/** A write that hangs (a partitioned store) is given up after this, or 5 intervals when longer. */
export const minWriteTimeoutMs = 2_000;

/** The `canary.write` runner. */
export function createCanaryWriteRunner(): TypedStepRunner<CanaryWriteOptions> {
  return { run: runWrite };
}

async function runWrite(ctx: ParsedAttemptContext<CanaryWriteOptions>): Promise<Observation> {
  const { options } = ctx;
  const intervalMs = options.interval ?? defaultIntervalMs;
  let store: MarkerStore;
  try {
    store = await openMarkerStore(ctx, options, 'canary.write');
  } catch (error) {
    return { error: describeCanaryError(error, 'canary.write', 'marker store') };
  }
  const writeTimeoutMs = Math.max(minWriteTimeoutMs, 5 * intervalMs);
  const wall = createWallClock(ctx.clock);
  const writer = randomBytes(4).toString('hex');
  const startMono = ctx.clock.now();
  const startedAt = new Date(wall.nowMs()).toISOString();
  let seq = 0;
  let written = 0;
  let failures = 0;
  // A write cut short by the stop may still have landed: neither written nor failed.
  let unconfirmed = 0;
  let maxWriteMs = 0;
  let maxGapMs = 0;
  let lastIssuedMono: number | undefined;
  let firstWrittenAt: string | undefined;
  let lastWrittenAt: string | undefined;
  let lastError: string | undefined;
  const failed = (error: unknown): void => {
    failures += 1;
    lastError = canaryErrorText(error).text;
    ctx.log.warn({ store: store.describe, error: lastError }, 'canary marker not written');
  };
  try {
    try {
      await store.prepare(AbortSignal.any([ctx.signal, AbortSignal.timeout(writeTimeoutMs)]));
    } catch (error) {
      // A marker file drillbook refuses to write is the scenario's to fix, not a failing store.
      if (isUnsafeDestination(error)) return { error: describeCanaryError(error, 'canary.write', 'marker store') };
      if (!ctx.signal.aborted) failed(error);
    }
    for (let tick = 0; !ctx.signal.aborted; tick += 1) {
      const dueMono = startMono + tick * intervalMs;
      try {
        await ctx.clock.sleep(dueMono - ctx.clock.now(), ctx.signal);
      } catch {
        break;
      }
      seq += 1;
      const before = ctx.clock.now();
      // Longer than the interval when the process was busy or a slow write made ticks be skipped.
      if (lastIssuedMono !== undefined) maxGapMs = Math.max(maxGapMs, Math.ceil(before - lastIssuedMono));
      lastIssuedMono = before;
      const marker: Marker = { seq, writtenAt: new Date(wall.nowMs()).toISOString(), writer, intervalMs, maxGapMs, maxWriteMs, clockDriftMs: wall.driftMs() };
      try {
        await store.write(marker, AbortSignal.any([ctx.signal, AbortSignal.timeout(writeTimeoutMs)]));
        written += 1;
        maxWriteMs = Math.max(maxWriteMs, Math.ceil(ctx.clock.now() - before));
        firstWrittenAt ??= marker.writtenAt;
        lastWrittenAt = marker.writtenAt;
      } catch (error) {
        if (ctx.signal.aborted) {
          unconfirmed += 1;
          break;
        }
        failed(error);
      }
      // A write slower than the interval skips the ticks it overran instead of bunching markers up.
      tick = Math.max(tick, Math.floor((ctx.clock.now() - startMono) / intervalMs));
    }
  } finally {
    await store.close().catch(() => undefined);
  }
  const result = {
    store: store.describe,
    writer,
    intervalMs,
    startedAt,
    stoppedAt: new Date(wall.nowMs()).toISOString(),
    markersWritten: written,
    failures,
    markersUnconfirmed: unconfirmed,
    firstWrittenAt: firstWrittenAt ?? null,
    lastWrittenAt: lastWrittenAt ?? null,
    maxGapMs,
    maxWriteMs,
    clockDriftMs: wall.driftMs(),
  };
  const details = { store: store.describe, intervalMs, markersWritten: written, failures, markersUnconfirmed: unconfirmed, maxGapMs, maxWriteMs, ...(lastError ? { lastError } : {}) };
  if (written > 0) return jsonObservation(ctx, result, details);
  return jsonObservation(ctx, result, details, {
    code: 'CANARY_NO_MARKER',
    message: `canary.write: no marker could be written to ${store.describe}${lastError ? `: ${lastError}` : ''}`,
  });
}
