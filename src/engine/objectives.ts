/** RTO/RPO arithmetic. Pure: facts in, objective records out. */
import type { ObjectiveRecord } from '../evidence/run-record.js';
import { parseDuration } from '../scenario/duration.js';
import type { Objectives } from '../scenario/types.js';

export interface ObjectiveFacts {
  /** Monotonic offset (ms from run start) at which the `t0` step started. */
  t0Ms?: number;
  /** Monotonic offset at which the successful attempt of the `recovered` step ended. */
  recoveredMs?: number;
  /** The raw value of the `rpoFrom` output, when the step produced it. */
  rpoValue?: string;
  /** The exit projection (exit-readiness.ts): the projected full-exit duration, or why there is none. */
  exitProjection?: { achievedMs?: number; basis: string };
  /** Run-time spans spent waiting for people (manual steps), possibly overlapping. */
  peopleIntervals?: readonly (readonly [number, number])[];
  /** Run-time spans when no drillbook ran the drill: from its last journal entry before a stop to the resume. */
  gapIntervals?: readonly (readonly [number, number])[];
}

/** Milliseconds of [from, to] covered by `spans` (overlaps counted once). */
export function coveredMs(spans: readonly (readonly [number, number])[], from: number, to: number): number {
  const clipped = spans
    .map(([a, b]): [number, number] => [Math.max(a, from), Math.min(b, to)])
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  let total = 0;
  let end = -Infinity;
  for (const [a, b] of clipped) {
    const start = Math.max(a, end);
    if (b > start) total += b - start;
    end = Math.max(end, b);
  }
  return total;
}

function judge(targetMs: number | undefined, achievedMs: number | undefined, basis: string): ObjectiveRecord {
  if (achievedMs === undefined) {
    return targetMs === undefined ? { status: 'no-target', basis } : { status: 'not-measured', targetMs, basis };
  }
  if (targetMs === undefined) return { status: 'no-target', achievedMs, basis };
  return { status: achievedMs <= targetMs ? 'met' : 'missed', targetMs, achievedMs, basis };
}

/** An RPO value from a step output: milliseconds as a number, or a duration such as `45s`. */
export function parseRpoValue(value: string): number | undefined {
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  return parseDuration(trimmed);
}

export function computeObjectives(
  objectives: Objectives,
  facts: ObjectiveFacts,
): { rto: ObjectiveRecord; rpo: ObjectiveRecord; exitPeriod?: ObjectiveRecord } {
  const rtoAchieved =
    facts.t0Ms !== undefined && facts.recoveredMs !== undefined ? Math.round(facts.recoveredMs - facts.t0Ms) : undefined;
  const rto = judge(
    objectives.rtoMs,
    rtoAchieved,
    rtoAchieved === undefined
      ? 'not measured: the t0 step did not start or the recovered step did not pass'
      : 'start of the t0 step to the end of the passing attempt of the recovered step',
  );
  if (rtoAchieved !== undefined && facts.peopleIntervals?.length && facts.t0Ms !== undefined && facts.recoveredMs !== undefined) {
    rto.manualMs = Math.round(coveredMs(facts.peopleIntervals, facts.t0Ms, facts.recoveredMs));
  }
  if (rtoAchieved !== undefined && facts.gapIntervals?.length && facts.t0Ms !== undefined && facts.recoveredMs !== undefined) {
    rto.gapMs = Math.round(coveredMs(facts.gapIntervals, facts.t0Ms, facts.recoveredMs));
  }

  const from = objectives.rpoFrom;
  let rpo: ObjectiveRecord;
  if (!from) {
    rpo = judge(objectives.rpoMs, undefined, 'not measured: no rpoFrom output declared');
  } else {
    const source = `${from.stepId}.${from.output}`;
    const achieved = facts.rpoValue === undefined ? undefined : parseRpoValue(facts.rpoValue);
    const basis =
      facts.rpoValue === undefined
        ? `not measured: ${source} has no value`
        : achieved === undefined
          ? `not measured: ${source} = ${JSON.stringify(facts.rpoValue)} is neither milliseconds nor a duration`
          : `measured by ${source}`;
    rpo = judge(objectives.rpoMs, achieved, basis);
  }

  const result: { rto: ObjectiveRecord; rpo: ObjectiveRecord; exitPeriod?: ObjectiveRecord } = { rto, rpo };
  if (objectives.exitPeriodMs !== undefined) {
    const projection = facts.exitProjection ?? { basis: 'not measured: no exit projection in this run' };
    result.exitPeriod = judge(objectives.exitPeriodMs, projection.achievedMs, projection.basis);
  }
  return result;
}
