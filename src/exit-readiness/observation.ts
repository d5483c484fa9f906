/** What the exit-readiness section is computed from: the facts of the steps, sorted by kind. */
import type { ExitFormatRecord, ExitProjectionRecord } from '../evidence/exit-record.js';
import type { StepRecord } from '../evidence/run-record.js';
import type { DumpFacts, ExportFacts, ReimportFacts } from './facts.js';
import type { ExitPlan } from '../scenario/types.js';

export interface ExitSteps {
  exports: { step: StepRecord; facts: ExportFacts }[];
  dumps: { step: StepRecord; facts: DumpFacts }[];
  /** Steps of an exporting runner whose last attempt reported no export or dump facts. */
  silentExporters: StepRecord[];
  /** Steps named in `exit.reimport` and steps that reported re-import facts. */
  reimports: { step: StepRecord; declared: boolean; facts?: ReimportFacts }[];
}

export interface ExitObservation extends ExitSteps {
  plan: ExitPlan;
  periodMs?: number;
  formats: ExitFormatRecord[];
  projection: ExitProjectionRecord;
}
