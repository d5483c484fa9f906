/** What run-due and the scheduler start, built from real assessments at a simulated "now". */
import { describe, expect, it } from 'vitest';
import { assessScenario } from '../../src/register/assess.js';
import type { Register, RegisterEntry } from '../../src/register/build-register.js';
import { planRuns } from '../../src/register/plan-runs.js';
import type { RunEntry } from '../../src/register/run-entry.js';
import type { RunWindow, Scenario } from '../../src/scenario/types.js';
import { at, day, run } from './support.js';

const sha = 'a'.repeat(64);

function entry(id: string, timing: Partial<Scenario>, runs: RunEntry[], nowMs: number, running = false): RegisterEntry {
  const scenario = { id, title: id, owner: 'o', kind: 'drill', timezone: 'UTC', source: { file: `${id}.yaml`, dir: '.', sha256: sha }, ...timing } as Scenario;
  const assessment = assessScenario({ scenario: { ...scenario, sha256: sha }, runs, missed: [], mode: 'verified', nowMs, running });
  return { file: `${id}.yaml`, id, scenario, runs, missed: [], assessment };
}

function plan(entries: RegisterEntry[], nowMs: number, allowProduction = false) {
  const register: Register = { entries, orphans: [], store: 'reports', mode: 'verified', nowMs };
  return planRuns(register, { nowMs, allowProduction }).map((d) => [d.entry.id, d.action, d.reason]);
}

describe('planRuns', () => {
  const now = at('2026-06-10T12:00:00Z'); // a Wednesday
  const quarterly = { cadenceMs: 90 * day };

  it('starts a cadence scenario once it is due soon, and once only per due period', () => {
    const old = run('2026-03-20T12:00:00.000Z'); // overdue on 18 June; due soon from 9 June
    expect(plan([entry('q', quarterly, [old], now)], now)).toEqual([['q', 'run', 'due soon']]);
    const failedAttempt = run('2026-06-09T12:00:00.000Z', { verdict: 'FAIL' });
    expect(plan([entry('q', quarterly, [old, failedAttempt], now)], now)).toEqual([]);
    expect(plan([entry('q', quarterly, [run('2026-05-01T12:00:00.000Z')], now)], now)).toEqual([]);
    expect(plan([entry('new', quarterly, [], now)], now)).toEqual([['new', 'run', 'never run']]);
  });

  it('waits for the window, for a run in progress; skips production without --yes and crashed runs', () => {
    const nights: RunWindow = { hours: { sun: [], mon: [], tue: [], wed: [{ startMinute: 1_320, endMinute: 360 }], thu: [], fri: [], sat: [] }, blackout: [] };
    const unfinished = run('2026-06-01T03:00:10.000Z', { verification: 'unfinished' });
    const decisions = plan(
      [
        entry('windowed', { ...quarterly, window: nights }, [], now),
        entry('busy', quarterly, [], now, true),
        entry('prod', { ...quarterly, environment: 'production' }, [], now),
        entry('crashed', { schedule: '0 3 * * 1' }, [unfinished], now),
        entry('manual', {}, [], now),
      ],
      now,
    );
    expect(decisions).toEqual([
      ['windowed', 'wait', 'window closed: outside its hours'],
      ['busy', 'wait', 'a run of it is in progress'],
      ['prod', 'skip', 'environment production: pass --yes to let it start unattended'],
      ['crashed', 'skip', 'run 20260601T030010Z-abcdef did not finish: drillbook recover reports/pg-failover/20260601T030010Z-abcdef'],
    ]);
    expect(plan([entry('prod', { ...quarterly, environment: 'production' }, [], now)], now, true)).toEqual([['prod', 'run', 'never run']]);
  });

  it('with a schedule, starts the pending slot; a stale scenario is not started by itself', () => {
    const weekly = { schedule: '0 3 * * 1', cadenceMs: 90 * day };
    expect(plan([entry('w', weekly, [run('2026-06-01T03:00:10.000Z')], now)], now)).toEqual([['w', 'run', 'scheduled']]);
    expect(plan([entry('w', weekly, [run('2026-06-08T03:00:10.000Z')], now)], now)).toEqual([]);
    expect(plan([entry('s', quarterly, [run('2026-06-01T03:00:10.000Z', { scenarioSha256: 'b'.repeat(64) })], now)], now)).toEqual([]);
  });
});
