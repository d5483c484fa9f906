/** How a finished run reads on the terminal and which exit code it gives: one place for run and recover. */
import type { RunResult } from '../engine/run.js';
import type { RunRecord } from '../evidence/run-record.js';
import { exitCodeForSignal, exitCodeForVerdict, exitCodes, type ExitCode } from './exit-codes.js';
import type { CliIo } from './io.js';
import { renderSummary } from './summary.js';

export function exitCodeForRun(record: RunRecord): ExitCode {
  if (record.endReason === 'write-failed') return exitCodes.evidenceNotWritten;
  // A signal always gives its exit code, also one that came during the cleanup (the verdict stands).
  if (record.endReason === 'signal' || record.signal !== undefined) return exitCodeForSignal(record.signal);
  if (record.endReason === 'precondition-failed') return exitCodes.preconditionFailed;
  return exitCodeForVerdict(record.verdict);
}

export interface OutcomeOptions {
  json: boolean;
  scenarioId: string;
}

/** Print what the run ended with and choose its exit code (evidence first: an unsealed bundle says so). */
export function reportRunOutcome(outcome: RunResult, io: CliIo, options: OutcomeOptions): ExitCode {
  if (!outcome.seal.sealed && outcome.seal.reason === 'not-written') {
    io.stderr(`drillbook: evidence could not be written: ${outcome.seal.message}\n`);
    io.stderr(`  hint: the run is kept unfinished (its lock too); free space, then run \`drillbook recover ${outcome.bundleDir}\`\n`);
    return exitCodes.evidenceNotWritten;
  }
  if (!outcome.seal.sealed && outcome.seal.reason === 'unfinished') {
    io.stderr(`drillbook: ${outcome.seal.message}\n  hint: run \`drillbook recover ${outcome.bundleDir}\` to finish its cleanup and seal its record\n`);
    return outcome.record.signal ? exitCodeForSignal(outcome.record.signal) : exitCodes.notPassed;
  }
  if (!outcome.seal.sealed) {
    io.stderr(`drillbook: evidence not sealed: ${outcome.seal.message}\n`);
    return exitCodes.evidenceNotSealed;
  }
  const readiness = outcome.record.readiness;
  if (readiness && !readiness.ok) {
    for (const check of readiness.checks.filter((c) => !c.ok)) for (const line of check.lines) io.stderr(`${line}\n`);
    io.stderr(`drillbook: ${options.scenarioId}: readiness check failed; nothing ran (see \`drillbook check\`)\n`);
  }
  const summary = renderSummary(outcome.record, outcome.bundleDir, outcome.seal.keyid);
  if (options.json) io.stderr(summary);
  else io.stdout(summary);
  return exitCodeForRun(outcome.record);
}
