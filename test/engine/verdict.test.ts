/** The verdict's exit-readiness rules: which missed item fails, which makes the run partial, and not covered. */
import { describe, expect, it } from 'vitest';
import { decideVerdict } from '../../src/engine/verdict.js';
import type { ExitCheckRecord } from '../../src/evidence/exit-record.js';
import type { ObjectiveRecord } from '../../src/evidence/run-record.js';
import { exitChecks, type ExitCheck } from '../../src/scenario/types.js';

const met = (check: ExitCheck): ExitCheckRecord => ({ check, status: 'met', basis: 'measured', required: true, summary: 'fine' });
const checklist = (change: Partial<ExitCheckRecord> & { check: ExitCheck }): ExitCheckRecord[] =>
  exitChecks.map((check) => (check === change.check ? { ...met(check), ...change } : met(check)));
const rto: ObjectiveRecord = { status: 'no-target' };

function verdict(exitChecklist: ExitCheckRecord[], objectives: Record<string, ObjectiveRecord | undefined> = { rto, rpo: rto }) {
  return decideVerdict({ endReason: 'completed', steps: [], cleanup: [], objectives, exitChecklist });
}

describe('decideVerdict with an exit checklist', () => {
  it.each([
    ['complete', 'FAIL', 'export complete missed: gap'],
    ['integral', 'FAIL', 'export integral missed: gap'],
    ['reimport', 'FAIL', 're-import proven missed: gap'],
    ['within-period', 'FAIL', 'exit period missed: gap'],
    ['open-formats', 'PARTIAL', 'open formats missed: gap'],
    ['metadata', 'PARTIAL', 'metadata exported missed: gap'],
    ['cost', 'PARTIAL', 'egress cost missed: gap'],
  ] as const)('missed %s → %s', (check, expected, reason) => {
    expect(verdict(checklist({ check, status: 'missed', summary: 'gap' }))).toEqual({ verdict: expected, reasons: [reason] });
    // Missed counts whether or not the item was required: a gap is a gap.
    expect(verdict(checklist({ check, status: 'missed', summary: 'gap', required: false })).verdict).toBe(expected);
  });

  it('a required item not covered is INCONCLUSIVE, saying which and why; one not required changes nothing', () => {
    expect(verdict(checklist({ check: 'metadata', status: 'not-covered', basis: 'not covered', summary: 'no object export (s3.export) in this run' }))).toEqual({
      verdict: 'INCONCLUSIVE',
      reasons: ['metadata exported not covered (required): no object export (s3.export) in this run'],
    });
    expect(verdict(checklist({ check: 'cost', status: 'not-covered', basis: 'not covered', required: false, summary: 'no price' }))).toEqual({ verdict: 'PASS', reasons: [] });
    expect(verdict(checklist({ check: 'cost', status: 'reported', basis: 'declared', summary: 'about 1 EUR' }))).toEqual({ verdict: 'PASS', reasons: [] });
  });

  it('FAIL before PARTIAL before INCONCLUSIVE, every reason kept', () => {
    const items = exitChecks.map(met);
    items[0] = { ...met('complete'), status: 'not-covered', basis: 'not covered', summary: 'a' };
    items[2] = { ...met('open-formats'), status: 'missed', summary: 'b' };
    items[5] = { ...met('within-period'), status: 'missed', basis: 'declared', summary: 'c' };
    expect(verdict(items)).toEqual({ verdict: 'FAIL', reasons: ['exit period missed: c', 'open formats missed: b', 'export complete not covered (required): a'] });
  });

  it('the exit period objective is left to the checklist; without one it reads "exit period", not EXITPERIOD', () => {
    const missedPeriod: ObjectiveRecord = { status: 'missed', targetMs: 1, achievedMs: 2 };
    expect(verdict(exitChecks.map(met), { rto, rpo: rto, exitPeriod: missedPeriod })).toEqual({ verdict: 'PASS', reasons: [] });
    const drill = decideVerdict({ endReason: 'completed', steps: [], cleanup: [], objectives: { rto: { status: 'missed' }, rpo: rto, exitPeriod: missedPeriod } });
    expect(drill).toEqual({ verdict: 'FAIL', reasons: ['RTO missed', 'exit period missed'] });
  });
});
