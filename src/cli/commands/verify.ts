/** `drillbook verify BUNDLE --key PUB… [--threshold N] [--previous BUNDLE] [--json]`: exit 0 valid, 3 not. */
import { statSync } from 'node:fs';
import { DrillbookError } from '../../errors.js';
import { loadTrustedKey, type TrustedKey } from '../../evidence/keys.js';
import { stableStringify } from '../../evidence/stable-json.js';
import { verifyBundle, type VerifyReport } from '../../evidence/verify.js';
import { exitCodes } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { reportError } from '../report-error.js';

export interface VerifyFlags {
  /** Pinned public key files (repeatable). */
  key?: string[];
  threshold?: number | string;
  previous?: string;
  json?: boolean;
}

export async function verifyCommand(bundle: string, flags: VerifyFlags, io: CliIo): Promise<number> {
  try {
    const report = await verifyBundle(assertBundleDir(bundle), { keys: loadKeys(flags.key), threshold: parseThreshold(flags.threshold), ...previousOption(flags.previous) });
    io.stdout(flags.json ? `${stableStringify(reportJson(report))}\n` : formatReport(report));
    return report.ok ? exitCodes.ok : exitCodes.verificationFailed;
  } catch (error) {
    return reportError(error, io);
  }
}

/** Parse every pinned key once, up front: a bad key file is invalid input (exit 2), not a failed bundle. */
export function loadKeys(files: readonly string[] | undefined): TrustedKey[] {
  return (files ?? []).map((file) => loadTrustedKey(file));
}

/** A non-negative integer; default 1. */
export function parseThreshold(value: number | string | undefined): number {
  if (value === undefined) return 1;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(n) || n < 0 || (typeof value === 'string' && !/^\d+$/.test(value))) {
    throw new DrillbookError('USAGE', `--threshold must be a whole number of keys, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** The bundle folder must exist; a missing folder is a usage error, not a failed verification. */
export function assertBundleDir(dir: string): string {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    // reported below
  }
  if (!isDir) throw new DrillbookError('USAGE', `${dir} is not a bundle folder`);
  return dir;
}

function previousOption(previous: string | undefined): { previous?: string } {
  return previous === undefined ? {} : { previous: assertBundleDir(previous) };
}

/** The report without the (large) statement: what scripts need. */
export function reportJson(report: VerifyReport): Record<string, unknown> {
  const { statement, ...rest } = report;
  return {
    ...rest,
    firstFailure: report.firstFailure?.id ?? null,
    run: statement ? { scenario: statement.predicate.scenario.id, runId: statement.predicate.runId, verdict: statement.predicate.verdict } : null,
  };
}

function formatReport(report: VerifyReport): string {
  const mark = { passed: 'ok  ', failed: 'FAIL', skipped: 'skip' } as const;
  const lines = [`verifying ${report.bundle}`];
  for (const check of report.checks) {
    lines.push(`  [${mark[check.status]}] ${check.title}`);
    for (const detail of check.details) lines.push(`         ${detail}`);
  }
  const run = report.statement?.predicate;
  if (report.ok) {
    const signers = report.signers.map((s) => `${s.role} ${s.keyid.slice(0, 16)}`).join(', ') || 'nobody (threshold 0)';
    lines.push(`VALID: ${run ? `${run.scenario.id} run ${run.runId}, verdict ${run.verdict}; ` : ''}signed by ${signers}; record.json SHA-256 ${report.payloadSha256 ?? '?'}`);
  } else {
    const first = report.firstFailure;
    lines.push(`INVALID: ${first ? `${first.title}: ${first.details[0] ?? ''}` : 'unknown failure'}`);
  }
  return `${lines.join('\n')}\n`;
}
