/** The end of every run: the verdict decided from the journal, `run.finished` written, the record projected. */
import type { EndReason, RunRecord } from '../evidence/run-record.js';
import type { Scenario } from '../scenario/types.js';
import type { JournalWriter } from './journal-writer.js';
import { projectRecord } from './project-record.js';

export interface FinishOptions {
  endReason: EndReason;
  signal?: string;
  deviations: string[];
  /** Write `run.finished` (false: the run stays unfinished for `recover`, e.g. an abandoned cleanup). */
  close: boolean;
  t: number;
}

export function finishRun(scenario: Scenario, journal: JournalWriter, options: FinishOptions): RunRecord {
  const projection = { endReason: options.endReason, ...(options.signal ? { signal: options.signal } : {}), deviations: options.deviations };
  if (options.close) {
    const provisional = projectRecord(scenario, journal.events, { journal: journal.info(), ...projection });
    journal.write('run.finished', {
      verdict: provisional.verdict,
      verdictReasons: provisional.verdictReasons,
      endReason: options.endReason,
      ...(options.signal ? { signal: options.signal } : {}),
      t: options.t,
      deviations: options.deviations,
    });
  }
  return projectRecord(scenario, journal.events, { journal: journal.info(), ...projection });
}
