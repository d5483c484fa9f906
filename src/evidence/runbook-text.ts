/** The runbook the team had at hand during a run (`run --runbook`), as every report says it. */
import type { RunRecord } from './run-record.js';

export function runbookText(runbook: NonNullable<RunRecord['runbook']>): string {
  const made =
    runbook.matches === true
      ? 'made from this version of the scenario'
      : runbook.matches === false
        ? `made from ANOTHER version of the scenario (SHA-256 ${runbook.scenarioSha256 ?? '?'})`
        : 'it does not say which scenario version it was made from (not checked)';
  return `${runbook.file}, SHA-256 ${runbook.sha256}: ${made}`;
}
