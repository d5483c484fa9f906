/** The end of every run: the verdict decided from the journal, `run.finished` written, the record projected. */
import { eventsOfType } from '../evidence/journal-events.js';
import type { EndReason, RunRecord } from '../evidence/run-record.js';
import { formatDuration } from '../scenario/duration.js';
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

/** What an auditor comparing timestamps must know: the wall clock stepped during the run. */
function clockDeviations(journal: JournalWriter): string[] {
  return eventsOfType(journal.events, 'clock.jumped').map(
    (e) =>
      `the wall clock moved ${e.data.skewMs > 0 ? 'ahead' : 'back'} by ${formatDuration(Math.abs(e.data.skewMs))} against the run's monotonic clock (noticed at ${e.at}, wall clock then ${e.data.wallAt}): durations are unaffected; times in this record follow the run's clock from its start`,
  );
}

export function finishRun(scenario: Scenario, journal: JournalWriter, options: FinishOptions): RunRecord {
  const deviations = [...options.deviations, ...clockDeviations(journal)];
  const projection = { endReason: options.endReason, ...(options.signal ? { signal: options.signal } : {}), deviations };
  if (options.close) {
    const provisional = projectRecord(scenario, journal.events, { journal: journal.info(), ...projection });
    journal.write('run.finished', {
      verdict: provisional.verdict,
      verdictReasons: provisional.verdictReasons,
      endReason: options.endReason,
      ...(options.signal ? { signal: options.signal } : {}),
      t: options.t,
      deviations,
    });
  }
  return projectRecord(scenario, journal.events, { journal: journal.info(), ...projection });
}
