/**
 * The trend of an objective over a scenario's runs: achieved values of the runs that can be trusted,
 * against their targets, and whether the latest is better or worse than the ones before. Pure.
 */
import type { ObjectiveStatus } from '../evidence/run-record.js';
import type { RunEntry, TrustMode } from './run-entry.js';

export type ObjectiveName = 'rto' | 'rpo';

export interface TrendPoint {
  runId: string;
  atMs: number;
  achievedMs: number;
  targetMs?: number;
  status: ObjectiveStatus;
}

export interface Trend {
  objective: ObjectiveName;
  /** Oldest first, at most `limit`. */
  points: TrendPoint[];
  /** Latest against the median of the points before it: ±10 % is steady. */
  direction: 'improving' | 'worsening' | 'steady' | 'too-few';
  /** Latest minus that median, in percent of the median. */
  changePercent?: number;
  /** The latest target, when the latest run had one. */
  targetMs?: number;
  /** Points whose value missed its target. */
  missed: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Runs that measured the objective and can be trusted (verified, or intact in `unverified` mode), whatever their verdict. */
export function computeTrend(runs: readonly RunEntry[], objective: ObjectiveName, mode: TrustMode, limit = 20): Trend {
  const trusted = runs.filter((run) => run.verification === 'verified' || (mode === 'unverified' && run.verification === 'unverified'));
  const points: TrendPoint[] = [];
  for (const run of trusted) {
    const o = run.objectives?.[objective];
    if (o?.achievedMs === undefined) continue;
    points.push({ runId: run.runId, atMs: Date.parse(run.startedAt), achievedMs: o.achievedMs, status: o.status, ...(o.targetMs !== undefined && { targetMs: o.targetMs }) });
  }
  const kept = points.slice(-limit);
  const latest = kept.at(-1);
  const trend: Trend = { objective, points: kept, direction: 'too-few', missed: kept.filter((p) => p.status === 'missed').length };
  if (latest?.targetMs !== undefined) trend.targetMs = latest.targetMs;
  if (!latest || kept.length < 2) return trend;
  const before = median(kept.slice(0, -1).map((p) => p.achievedMs));
  if (before === 0) return { ...trend, direction: latest.achievedMs === 0 ? 'steady' : 'worsening' };
  const change = ((latest.achievedMs - before) / before) * 100;
  trend.changePercent = Math.round(change);
  trend.direction = change > 10 ? 'worsening' : change < -10 ? 'improving' : 'steady';
  return trend;
}
