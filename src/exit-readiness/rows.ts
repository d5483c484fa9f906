/** The per-step rows of the exit-readiness section: exports, dumps and re-imports as the record lists them. */
import type { ExitDumpRecord, ExitExportRecord, ExitReimportRecord } from '../evidence/exit-record.js';
import { throughput } from './projection.js';
import type { ExitSteps } from './observation.js';

export function exportRows(exports: ExitSteps['exports']): ExitExportRecord[] {
  return exports.map(({ step, facts }) => {
    const r = facts.reconciliation;
    const rate = throughput(facts.transferred.bytes, facts.transferred.durationMs);
    // The bundle's copy is the evidence: its path and digest come from the engine, not from the runner.
    const stored = step.attempts.at(-1)?.attachments?.find((a) => a.name === facts.manifest.attachment);
    return {
      stepId: step.id,
      status: step.status,
      source: facts.source,
      destination: facts.destination,
      listed: facts.listed,
      exported: facts.exported,
      resumed: facts.resumed,
      transferred: facts.transferred,
      ...(rate !== undefined && { throughputBytesPerSec: rate }),
      reconciliation: { missing: r.missing.count, extra: r.extra.count, changed: r.changed.count, corrupted: r.corrupted.count, failed: r.failed.count, vanished: r.vanished.count },
      deletionsAccepted: facts.deletionsAccepted === true,
      destinationVerified: facts.destinationVerified,
      ...(stored && { manifest: { file: stored.file, sha256: stored.sha256, entries: facts.manifest.entries } }),
    };
  });
}

export function dumpRows(dumps: ExitSteps['dumps']): ExitDumpRecord[] {
  return dumps.map(({ step, facts }) => ({
    stepId: step.id,
    status: step.status,
    file: facts.file,
    host: facts.host,
    bytes: facts.bytes,
    sha256: facts.sha256,
    format: facts.format,
    durationMs: facts.durationMs,
  }));
}

export function reimportRows(reimports: ExitSteps['reimports']): ExitReimportRecord[] {
  return reimports.map(({ step, declared, facts }) => ({
    stepId: step.id,
    uses: step.uses,
    status: step.status,
    declared,
    ...(facts && {
      destination: facts.destination,
      expected: facts.expected,
      verified: facts.verified,
      missing: facts.missing.count,
      mismatched: facts.mismatched.count,
    }),
  }));
}
