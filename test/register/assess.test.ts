/** The register's statuses with a simulated "now": cadence, schedules, staleness, trust. */
import { describe, expect, it } from 'vitest';
import { assessScenario, defaultSoonMs, type AssessInput } from '../../src/register/assess.js';
import type { MissedRun } from '../../src/register/store.js';
import { at, day, hour, iso, run } from './support.js';

const sha = 'a'.repeat(64);
const quarterly = { cadenceMs: 90 * day, timezone: 'UTC', sha256: sha };

function assess(input: Partial<AssessInput> & Pick<AssessInput, 'nowMs'>) {
  return assessScenario({ scenario: quarterly, runs: [], missed: [], mode: 'verified', ...input });
}

describe('assessScenario: cadence', () => {
  const pass = run('2026-01-10T03:00:00.000Z');

  it('never-run without any run, due now', () => {
    const a = assess({ nowMs: at('2026-02-01T00:00:00Z') });
    expect(a).toMatchObject({ status: 'never-run', nextDueMs: at('2026-02-01T00:00:00Z'), stale: [], notes: [] });
    expect(a.overdueMs).toBeUndefined();
  });

  it('ok, then due soon a tenth of the cadence before, then overdue the moment the cadence has passed', () => {
    const overdue = at('2026-04-10T03:00:00Z');
    expect(assess({ runs: [pass], nowMs: overdue - 10 * day })).toMatchObject({ status: 'ok', nextDueMs: overdue, overdueMs: overdue, lastPass: pass, lastRun: pass });
    expect(assess({ runs: [pass], nowMs: overdue - 9 * day })).toMatchObject({ status: 'due-soon', soonMs: 9 * day });
    expect(assess({ runs: [pass], nowMs: overdue - 1 })).toMatchObject({ status: 'due-soon' });
    expect(assess({ runs: [pass], nowMs: overdue })).toMatchObject({ status: 'overdue' });
  });

  it('counts only verified passes; failed, untrusted, invalid and unfinished runs are listed, never counted', () => {
    const later = [
      run('2026-03-01T03:00:00.000Z', { verdict: 'FAIL' }),
      run('2026-03-02T03:00:00.000Z', { verification: 'untrusted', problem: 'enough distinct pinned keys signed: 0 distinct pinned key(s) signed, 1 required' }),
      run('2026-03-03T03:00:00.000Z', { verification: 'invalid', problem: 'every subject file has the SHA-256 the Statement gives: junit.xml: …' }),
      run('2026-03-04T03:00:00.000Z', { verification: 'unfinished', verdict: undefined as never }),
    ];
    const a = assess({ runs: [pass, ...later], nowMs: at('2026-04-11T00:00:00Z') });
    expect(a.status).toBe('overdue');
    expect(a.lastPass).toBe(pass);
    expect(a.lastRun).toBe(later[3]);
    expect(a.notes).toEqual([
      '1 bundle failed verification (never counted)',
      'run 20260304T030000Z-abcdef did not finish: drillbook recover reports/pg-failover/20260304T030000Z-abcdef',
    ]);
  });

  it('is overdue after a first run that did not pass (there is no passing evidence at all)', () => {
    expect(assess({ runs: [run('2026-03-01T03:00:00.000Z', { verdict: 'FAIL' })], nowMs: at('2026-03-02T00:00:00Z') })).toMatchObject({
      status: 'overdue',
      overdueMs: at('2026-03-01T03:00:00Z'),
    });
  });

  it('in unverified mode (no trusted keys, by choice) an intact PASS counts', () => {
    const unverified = run('2026-03-01T03:00:00.000Z', { verification: 'unverified', signers: [] });
    expect(assess({ runs: [unverified], nowMs: at('2026-03-02T00:00:00Z') }).status).toBe('overdue');
    expect(assess({ runs: [unverified], nowMs: at('2026-03-02T00:00:00Z'), mode: 'unverified' })).toMatchObject({ status: 'ok', lastPass: unverified });
  });

  it('is stale when the scenario file changed since the last pass, unless it is overdue anyway', () => {
    const old = run('2026-03-01T03:00:00.000Z', { scenarioSha256: 'b'.repeat(64) });
    expect(assess({ runs: [old], nowMs: at('2026-03-02T00:00:00Z') })).toMatchObject({
      status: 'stale',
      stale: [`the scenario file changed since the last pass (SHA-256 ${'b'.repeat(12)}… then, ${'a'.repeat(12)}… now)`],
    });
    expect(assess({ runs: [old], nowMs: at('2026-06-01T00:00:00Z') }).status).toBe('overdue');
  });

  it('the due-soon lead time is a tenth of the cadence, between an hour and two weeks', () => {
    expect([defaultSoonMs(90 * day), defaultSoonMs(365 * day), defaultSoonMs(day), defaultSoonMs(hour), defaultSoonMs(undefined)]).toEqual([9 * day, 14 * day, 2.4 * hour, hour, day]);
  });
});

describe('assessScenario: schedule', () => {
  const weekly = { schedule: '0 3 * * 1', timezone: 'Europe/Berlin', sha256: sha };

  it('a slot that came and was not run makes the scenario due; missed slots are counted', () => {
    const lastPass = run('2026-01-05T02:00:10.000Z');
    const a = assessScenario({ scenario: weekly, runs: [lastPass], missed: [], mode: 'verified', nowMs: at('2026-01-13T12:00:00Z') });
    expect(a).toMatchObject({ status: 'due-soon', pendingSlotMs: at('2026-01-12T02:00:00Z'), nextDueMs: at('2026-01-12T02:00:00Z'), overdueMs: at('2026-01-19T02:00:00Z'), missedSinceLastPass: 0 });
    const later = assessScenario({ scenario: weekly, runs: [lastPass], missed: [], mode: 'verified', nowMs: at('2026-01-27T12:00:00Z') });
    expect(later).toMatchObject({ status: 'overdue', pendingSlotMs: at('2026-01-26T02:00:00Z'), missedSinceLastPass: 2 });
    expect(later.unrecordedMissed).toEqual([{ firstSlotMs: at('2026-01-12T02:00:00Z'), lastSlotMs: at('2026-01-19T02:00:00Z'), slots: 2, reason: 'not-started' }]);
    expect(later.notes).toEqual(['2 scheduled runs missed since the last pass']);
  });

  it('recorded missed runs count and move the point from which slots are examined', () => {
    const lastPass = run('2026-01-05T02:00:10.000Z');
    const recorded: MissedRun = {
      scenarioId: 'pg-failover',
      firstSlot: '2026-01-12T02:00:00.000Z',
      lastSlot: '2026-01-19T02:00:00.000Z',
      slots: 2,
      reason: 'not-started',
      schedule: '0 3 * * 1',
      timezone: 'Europe/Berlin',
      recordedAt: iso(at('2026-01-26T02:00:00Z')),
      recordedBy: { host: 'h', pid: 1 },
    };
    const a = assessScenario({ scenario: weekly, runs: [lastPass], missed: [recorded], mode: 'verified', nowMs: at('2026-01-27T12:00:00Z') });
    expect(a).toMatchObject({ missedSinceLastPass: 2, unrecordedMissed: [], pendingSlotMs: at('2026-01-26T02:00:00Z') });
  });

  it('without cadence or schedule a scenario is never overdue', () => {
    const a = assessScenario({ scenario: { timezone: 'UTC', sha256: sha }, runs: [run('2020-01-01T00:00:00.000Z', { verdict: 'FAIL' })], missed: [], mode: 'verified', nowMs: at('2026-01-01T00:00:00Z') });
    expect(a).toMatchObject({ status: 'ok', notes: ['last run 20200101T000000Z-abcdef: FAIL', 'no cadence or schedule: run by hand'] });
    expect(a.nextDueMs).toBeUndefined();
  });
});
