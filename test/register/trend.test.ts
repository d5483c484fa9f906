/** RTO/RPO trends: only runs that can be trusted, against the latest target, direction by the median before. */
import { describe, expect, it } from 'vitest';
import { computeTrend } from '../../src/register/trend.js';
import type { RunEntry } from '../../src/register/run-entry.js';
import { run } from './support.js';

const rto = (startedAt: string, achievedMs: number | undefined, fields: Partial<RunEntry> = {}) =>
  run(startedAt, {
    objectives: {
      rto: { status: achievedMs === undefined ? 'not-measured' : achievedMs > 30_000 ? 'missed' : 'met', targetMs: 30_000, ...(achievedMs !== undefined && { achievedMs }) },
      rpo: { status: 'no-target' },
    },
    ...fields,
  });

describe('computeTrend', () => {
  it('says worsening, improving or steady against the median of the runs before', () => {
    const runs = [rto('2026-01-01T00:00:00.000Z', 10_000), rto('2026-02-01T00:00:00.000Z', 12_000), rto('2026-03-01T00:00:00.000Z', 11_000)];
    expect(computeTrend([...runs, rto('2026-04-01T00:00:00.000Z', 33_000)], 'rto', 'verified')).toMatchObject({ direction: 'worsening', changePercent: 200, targetMs: 30_000, missed: 1 });
    expect(computeTrend([...runs, rto('2026-04-01T00:00:00.000Z', 8_800)], 'rto', 'verified')).toMatchObject({ direction: 'improving', changePercent: -20 });
    expect(computeTrend([...runs, rto('2026-04-01T00:00:00.000Z', 11_500)], 'rto', 'verified')).toMatchObject({ direction: 'steady', changePercent: 5 });
    expect(computeTrend(runs.slice(0, 1), 'rto', 'verified')).toMatchObject({ direction: 'too-few', points: [{ achievedMs: 10_000 }] });
  });

  it('leaves out runs that did not measure or cannot be trusted, keeps failed runs that measured', () => {
    const trend = computeTrend(
      [
        rto('2026-01-01T00:00:00.000Z', 10_000),
        rto('2026-02-01T00:00:00.000Z', undefined),
        rto('2026-03-01T00:00:00.000Z', 99_000, { verification: 'invalid' }),
        rto('2026-04-01T00:00:00.000Z', 40_000, { verdict: 'FAIL' }),
        rto('2026-05-01T00:00:00.000Z', 20_000, { verification: 'unverified' }),
      ],
      'rto',
      'verified',
    );
    expect(trend.points.map((p) => [p.achievedMs, p.status])).toEqual([
      [10_000, 'met'],
      [40_000, 'missed'],
    ]);
  });
});
