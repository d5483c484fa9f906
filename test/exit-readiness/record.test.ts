/** The section is part of the projection of the journal: the record, its objective and its verdict agree. */
import { describe, expect, it } from 'vitest';
import { projectRecord } from '../../src/engine/project-record.js';
import { journalEvents, type JournalEvent } from '../../src/evidence/journal-events.js';
import { runRecordSchema } from '../../src/evidence/run-record-schema.js';
import type { Scenario } from '../../src/scenario/types.js';
import { dumpFacts, exportFacts, manifestAttachment, t0 } from './support.js';
import { group, scenario, step } from '../engine/support.js';

const day = 86_400_000;
const at = (ms: number): string => new Date(t0 + ms).toISOString();
const journalInfo = { file: 'journal.jsonl', entries: 10, headSha256: 'f'.repeat(64) };

function exitRun(exitPeriodMs: number): Scenario {
  return scenario({
    kind: 'exit',
    objectives: { exitPeriodMs },
    exit: { openFormats: ['csv', 'json', 'pg-dump'], dataVolumeBytes: 3e9, reimportSteps: ['restore'], required: ['complete', 'integral', 'open-formats', 'metadata', 'reimport', 'within-period'] },
    steps: [group('transfer', [step('export-objects', [], { uses: 's3.export' }), step('dump-db', [], { uses: 'ssh.dump' })]), step('restore')],
  });
}

/** A journal as the engine writes it: the export and the dump side by side for 10 s, then the restore. */
function journal(): JournalEvent[] {
  const events: JournalEvent[] = [
    {
      at: at(0),
      type: journalEvents.runStarted,
      data: { runId: 'r1', scenarioId: 'engine-test', scenarioFile: 'scenario.yaml', scenarioSha256: '0'.repeat(64), operator: 'tester', host: 'h', pid: 1, tool: { name: 'drillbook', version: '0', node: 'v20', platform: 'linux' }, vars: {}, t: 0 },
    },
  ];
  const stepEvents = (stepId: string, startMs: number, durationMs: number, details?: Record<string, unknown>, attachments?: { name: string; file: string; sha256: string; bytes: number }[]): void => {
    events.push({ at: at(startMs), type: journalEvents.stepStarted, data: { stepId, phase: 'steps', t: startMs } });
    events.push({
      at: at(startMs + durationMs),
      type: journalEvents.attemptFinished,
      data: { stepId, t: startMs + durationMs, attempt: 1, startedAt: at(startMs), durationMs, status: 'passed', ...(details && { details }), ...(attachments && { attachments }) },
    });
    events.push({ at: at(startMs + durationMs), type: journalEvents.stepFinished, data: { stepId, status: 'passed', t: startMs + durationMs, outputs: {} } });
  };
  stepEvents('export-objects', 0, 10_000, { exit: exportFacts() }, manifestAttachment('export-objects'));
  stepEvents('dump-db', 0, 10_000, { exit: dumpFacts() });
  stepEvents('restore', 10_000, 1_000);
  return events;
}

describe('the exit-readiness section in the record', () => {
  it('is projected from the journal; the exit period objective becomes measured from the projection', () => {
    const record = projectRecord(exitRun(30 * day), journal(), { journal: journalInfo, endReason: 'completed' });
    expect(record.exitReadiness?.checklist.map((item) => item.status)).toEqual(['met', 'met', 'met', 'met', 'met', 'met', 'not-covered']);
    // 3 GB at 1.5 GB per 10 s.
    expect(record.objectives.exitPeriod).toEqual({ status: 'met', targetMs: 30 * day, achievedMs: 20_000, basis: 'projected: 2.79 GiB (declared) at 143 MiB/s measured over 1.4 GiB in 10s' });
    expect(record.verdict).toBe('PASS');
    expect(runRecordSchema.parse(record)).toEqual(record);
  });

  it('a period too short for the projection: FAIL with one reason, and the objective missed', () => {
    const record = projectRecord(exitRun(10_000), journal(), { journal: journalInfo, endReason: 'completed' });
    expect(record.objectives.exitPeriod).toMatchObject({ status: 'missed', achievedMs: 20_000 });
    expect(record.verdict).toBe('FAIL');
    expect(record.verdictReasons).toEqual(['exit period missed: projected 20s for 2.79 GiB (declared) at 143 MiB/s; the period is 10s']);
  });

  it('a drill that declares an exit period has no section; its objective is not measured and says so', () => {
    const drill = { ...exitRun(30 * day), kind: 'drill' as const };
    const record = projectRecord(drill, journal(), { journal: journalInfo, endReason: 'completed' });
    expect(record.exitReadiness).toBeUndefined();
    expect(record.objectives.exitPeriod).toEqual({ status: 'not-measured', targetMs: 30 * day, basis: 'not measured: no exit projection in this run' });
    expect(record.verdict).toBe('INCONCLUSIVE');
    expect(record.verdictReasons).toEqual(['exit period not measured']);
  });
});
