/**
 * Sealing a bundle: render junit.xml and report.html from the record, hash every file, write record.json
 * (the in-toto Statement) and, with a key, record.dsse.json. Nothing is signed or written when any form of
 * a declared secret value (as written, escaped, encoded: see secret-forms.ts) occurs in any file or in what
 * would be written.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DrillbookError } from '../errors.js';
import { writeFileAtomic } from './atomic-write.js';
import { bundleLayout, isSafeSubjectName, isSubjectFile, listBundleFiles } from './bundle-files.js';
import { serializeEnvelope, signEnvelope } from './dsse.js';
import { hashFile } from './hash-file.js';
import { checkJournalConsistency } from './journal-consistency.js';
import { checkStoredFiles } from './stored-files.js';
import { readJournalBytes } from './journal.js';
import { loadSigningKey, type SigningKey } from './keys.js';
import { renderHtml } from './render-html.js';
import { renderJunit } from './render-junit.js';
import type { RunRecord } from './run-record.js';
import { runRecordSchema } from './run-record-schema.js';
import { createSecretScanner, findSecret } from './secret-scanner.js';
import { buildStatement, inTotoPayloadType, serializeStatement, type InTotoStatement, type Subject } from './statement.js';

export interface SealOptions {
  /** Ed25519 private key (KeyObject, or path of a PKCS#8 PEM file). Without one the bundle is sealed unsigned. */
  signingKey?: KeyObject | string;
  /** Declared secret values: if any form of one occurs in any file of the bundle, nothing is sealed. */
  secrets?: readonly string[];
  /** Hex SHA-256 of the previous record.json of the same scenario; stored in the predicate. */
  previousRecordSha256?: string;
  /** Called after the reports and the envelope are written, before record.json (a crash test kills the process here). */
  onRendered?: () => void;
}

/** The bundle was sealed. */
export interface Sealed {
  sealed: true;
  statement: InTotoStatement;
  /** Hex SHA-256 of record.json (= the DSSE payload): the next run's `previousRecordSha256`. */
  recordSha256: string;
  /** Key id of the signature in record.dsse.json; absent when sealed unsigned. */
  keyid?: string;
}

/** A declared secret value was found: nothing was signed and no record was written. */
export interface NotSealed {
  sealed: false;
  reason: 'secret-found';
  /** Bundle-relative path of the file that contains (or would contain) the secret. */
  file: string;
  /** Byte offset of the first occurrence (of any form of any secret) in that file. */
  offset: number;
  /** Index of the secret in `options.secrets` (the value itself is never repeated). */
  secretIndex: number;
  message: string;
}

export type SealResult = Sealed | NotSealed;

/**
 * Seal the bundle in `dir` with `record` as predicate. Throws a DrillbookError (code EVIDENCE) when the
 * record is malformed, disagrees with its journal, or the bundle holds something that cannot be a subject;
 * returns `{ sealed: false }` when a secret would be published.
 */
export async function sealBundle(dir: string, record: RunRecord, options: SealOptions = {}): Promise<SealResult> {
  const key: SigningKey | undefined = options.signingKey === undefined ? undefined : loadSigningKey(options.signingKey);
  const predicate: RunRecord = options.previousRecordSha256 === undefined ? record : { ...record, previousRecordSha256: options.previousRecordSha256 };
  assertRecord(predicate);
  await assertJournal(dir, predicate);
  // Empty values are kept (and find nothing) so that indexes match options.secrets.
  const scanner = createSecretScanner(options.secrets ?? []);

  const listing = await listBundleFiles(dir);
  if (listing.problems.length > 0) {
    throw new DrillbookError('EVIDENCE', `cannot seal ${dir}: it holds entries that cannot be covered`, { details: listing.problems.map((p) => `  ${p}`).join('\n') });
  }
  // junit.xml and report.html are (re)rendered below; everything else is hashed as it is now.
  const rendered = new Map<string, Buffer>([
    [bundleLayout.junit, Buffer.from(renderJunit(predicate), 'utf8')],
    [bundleLayout.report, Buffer.from(renderHtml(predicate, key ? { sealingKeyId: key.keyid } : {}), 'utf8')],
  ]);
  const subjects: Subject[] = [];
  for (const name of listing.files.filter((f) => isSubjectFile(f) && !rendered.has(f))) {
    const digest = await hashFile(join(dir, name), scanner);
    if (digest.secret) return notSealed(name, digest.secret.offset, digest.secret.index);
    subjects.push({ name, digest: { sha256: digest.sha256 } });
  }
  // A log or attachment changed between its step and now (someone edited the bundle) is not sealed.
  const changed = checkStoredFiles(predicate, new Map(subjects.map((subject) => [subject.name, subject.digest.sha256])));
  if (changed.length > 0) {
    throw new DrillbookError('EVIDENCE', `cannot seal ${dir}: files changed after their steps wrote them`, { details: changed.map((p) => `  ${p}`).join('\n') });
  }
  for (const [name, bytes] of rendered) {
    const hit = findSecret(bytes, scanner);
    if (hit) return notSealed(name, hit.offset, hit.index);
    subjects.push({ name, digest: { sha256: sha256Hex(bytes) } });
  }

  const statement = buildStatement(predicate, subjects);
  const payload = Buffer.from(serializeStatement(statement), 'utf8');
  const hit = findSecret(payload, scanner);
  if (hit) return notSealed(bundleLayout.record, hit.offset, hit.index);

  for (const [name, bytes] of rendered) writeFileAtomic(join(dir, name), bytes);
  // The envelope first, record.json last: record.json marks a sealed bundle, so a crash in between leaves
  // one that recover seals again, never a record that lost its signature for good.
  const result: Sealed = { sealed: true, statement, recordSha256: sha256Hex(payload) };
  if (key) {
    writeFileAtomic(join(dir, bundleLayout.envelope), serializeEnvelope(signEnvelope(inTotoPayloadType, payload, key)));
    result.keyid = key.keyid;
  } else {
    // An envelope from an earlier sealing would sign another payload: an unsigned bundle has none.
    await rm(join(dir, bundleLayout.envelope), { force: true });
  }
  options.onRendered?.();
  writeFileAtomic(join(dir, bundleLayout.record), payload);
  return result;
}

function notSealed(file: string, offset: number, secretIndex: number): NotSealed {
  return {
    sealed: false,
    reason: 'secret-found',
    file,
    offset,
    secretIndex,
    message: `declared secret #${secretIndex + 1} occurs in ${file} at byte ${offset}: nothing was signed`,
  };
}

function assertRecord(record: RunRecord): void {
  const parsed = runRecordSchema.safeParse(record);
  if (!parsed.success) {
    const details = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(record)'}: ${i.message}`).join('\n');
    throw new DrillbookError('EVIDENCE', 'cannot seal: the run record is malformed', { details });
  }
}

/** The verifier would reject a record whose journal facts are wrong: refuse to sign one. */
async function assertJournal(dir: string, record: RunRecord): Promise<void> {
  if (!isSafeSubjectName(record.journal.file)) throw new DrillbookError('EVIDENCE', `cannot seal: journal path ${JSON.stringify(record.journal.file)} is not a bundle-relative path`);
  let bytes: Buffer;
  try {
    bytes = await readFile(join(dir, record.journal.file));
  } catch (error) {
    throw new DrillbookError('EVIDENCE', `cannot seal: journal ${record.journal.file} is not readable in ${dir}`, { cause: error });
  }
  const journal = readJournalBytes(bytes);
  const problems = [...journal.problems];
  if (journal.head !== record.journal.headSha256) problems.push(`head is ${journal.head}, the record says ${record.journal.headSha256}`);
  if (journal.count !== record.journal.entries) problems.push(`${journal.count} entries, the record says ${record.journal.entries}`);
  problems.push(...checkJournalConsistency(record, journal.entries));
  if (problems.length > 0) {
    throw new DrillbookError('EVIDENCE', `cannot seal: the record and journal ${record.journal.file} disagree`, { details: problems.map((p) => `  ${p}`).join('\n') });
  }
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
