/**
 * The record names the digest of every log, attachment and manual answer as it was written; the bundle's files must still
 * be those bytes. Checked when sealing (a log edited between the step and the seal is refused) and by
 * `verify` (a record whose Statement and step records disagree is not consistent).
 */
import type { RunRecord } from './run-record.js';

/** Every stored file the record gives a digest for: bundle path → SHA-256. */
export function storedFileDigests(record: RunRecord): Map<string, string> {
  const digests = new Map<string, string>();
  for (const step of [...record.steps, ...record.cleanup]) {
    for (const attempt of step.attempts) {
      for (const stream of [attempt.stdout, attempt.stderr]) if (stream?.log && stream.logSha256) digests.set(stream.log, stream.logSha256);
      for (const attachment of attempt.attachments ?? []) digests.set(attachment.file, attachment.sha256);
    }
    if (step.answer) digests.set(step.answer.file, step.answer.sha256);
  }
  return digests;
}

/** Disagreements between the record's stored-file digests and the files' digests (`name → sha256`). */
export function checkStoredFiles(record: RunRecord, actual: ReadonlyMap<string, string>): string[] {
  const problems: string[] = [];
  for (const [file, expected] of storedFileDigests(record)) {
    const found = actual.get(file);
    if (found === undefined) problems.push(`${file}: the record names it, the bundle does not have it`);
    else if (found !== expected) problems.push(`${file}: SHA-256 is ${found}, but it was ${expected} when its step wrote it`);
  }
  return problems;
}
