/**
 * Offline verification of a bundle. Every check is run and reported (the first failure is named); a check
 * that depends on an unreadable record is skipped. Signatures count only when a pinned key verifies them:
 * the keyid in a file is a hint, never trust.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bundleLayout, isSafeSubjectName, isSubjectFile, listBundleFiles, signOffFile, type BundleListing } from './bundle-files.js';
import { hashFile } from './hash-file.js';
import { checkJournalConsistency } from './journal-consistency.js';
import { checkStoredFiles } from './stored-files.js';
import { readJournalBytes } from './journal.js';
import { keyIdOf, loadTrustedKey, type TrustedKey } from './keys.js';
import { runRecordSchema } from './run-record-schema.js';
import { stableStringify } from './stable-json.js';
import { predicateType, statementType, type InTotoStatement } from './statement.js';
import { reviewAnswers } from './verify-answers.js';
import { reviewApprovals } from './verify-approvals.js';
import { reviewSignatures, type CheckStatus, type VerifiedSigner } from './verify-signatures.js';

export type { CheckStatus, VerifiedSigner } from './verify-signatures.js';

export interface VerifyOptions {
  /** Pinned public keys: parsed keys, KeyObjects, or PEM file paths (each parsed once). */
  keys?: readonly (TrustedKey | KeyObject | string)[];
  /** Distinct pinned keys that must have signed; default 1. 0 checks integrity only (unsigned bundles). */
  threshold?: number;
  /** Folder of the previous bundle of the same scenario, to check the chain of records. */
  previous?: string;
}

export const checkIds = ['record', 'envelope', 'signatures', 'threshold', 'subjects', 'coverage', 'journal', 'consistency', 'answers', 'approvals', 'previous'] as const;
export type CheckId = (typeof checkIds)[number];

export interface VerifyCheck {
  id: CheckId;
  title: string;
  status: CheckStatus;
  /** What was found: problems for a failed check, facts for a passed one, the reason for a skipped one. */
  details: string[];
}

export interface VerifyReport {
  ok: boolean;
  bundle: string;
  threshold: number;
  checks: VerifyCheck[];
  firstFailure?: VerifyCheck;
  /** Hex SHA-256 of record.json, which is the signed payload when the envelope check passed. */
  payloadSha256?: string;
  statement?: InTotoStatement;
  signers: VerifiedSigner[];
  /** Signatures by keys that were not pinned: listed, never counted. */
  untrusted: { file: string; keyid: string }[];
}

const titles: Record<CheckId, string> = {
  record: 'record.json is an in-toto Statement of a drillbook run record',
  envelope: 'record.dsse.json is a DSSE envelope whose payload is record.json',
  signatures: 'every signature made by a pinned key is valid',
  threshold: 'enough distinct pinned keys signed',
  subjects: 'every subject file has the SHA-256 the Statement gives',
  coverage: 'every file of the bundle is a subject',
  journal: 'journal hash chain, head and entry count match the record',
  consistency: 'the record agrees with the journal (steps, verdict)',
  approvals: 'the approvals the run waited for are signed by its approver keys over its exact request, to its quorum',
  answers: "every manual step's answer is the one the record gives, and each signed answer verifies",
  previous: 'the record is chained to the previous record',
};
const hex64 = /^[0-9a-f]{64}$/;

/** Verify the bundle in `dir`. Never throws for a bad bundle: the report says what failed. */
export async function verifyBundle(dir: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  const threshold = options.threshold ?? 1;
  const keys = (options.keys ?? []).map(toTrustedKey);
  const checks: VerifyCheck[] = [];
  const add = (id: CheckId, status: VerifyCheck['status'], details: string[]) => checks.push({ id, title: titles[id], status, details });
  const judged = (id: CheckId, problems: string[], passedDetails: string[]) => add(id, problems.length ? 'failed' : 'passed', problems.length ? problems : passedDetails);
  const report: VerifyReport = { ok: false, bundle: dir, threshold, checks, signers: [], untrusted: [] };

  const listing = await listBundleFiles(dir).catch((error: unknown): BundleListing => ({ files: [], problems: [`cannot list ${dir}: ${(error as Error).message}`] }));
  const recordBytes = await readOptional(join(dir, bundleLayout.record));
  const record = readStatement(recordBytes);
  judged('record', record.problems, record.statement ? [`${record.statement.subject.length} subjects, verdict ${record.statement.predicate.verdict}`] : []);
  if (recordBytes) report.payloadSha256 = sha256Hex(recordBytes);
  if (record.statement) report.statement = record.statement;

  const review = await reviewSignatures(dir, listing.files, recordBytes, keys, threshold);
  add('envelope', review.envelope.status, review.envelope.details);
  add('signatures', review.signatures.status, review.signatures.details);
  report.signers = review.signers;
  report.untrusted = review.untrusted;

  const distinct = new Set(report.signers.map((s) => s.keyid)).size;
  if (threshold === 0) add('threshold', 'passed', [`not required (threshold 0); ${distinct} pinned key(s) signed`]);
  else if (keys.length === 0) add('threshold', 'failed', ['no pinned keys were given: signatures cannot be trusted without them']);
  else judged('threshold', distinct >= threshold ? [] : [`${distinct} distinct pinned key(s) signed, ${threshold} required`], [`${distinct} distinct pinned key(s) signed, ${threshold} required`]);

  const statement = record.statement;
  if (!statement) {
    for (const id of ['subjects', 'coverage', 'journal', 'consistency', 'answers', 'approvals', 'previous'] as const) add(id, 'skipped', ['needs a readable record.json']);
  } else {
    await checkSubjects(dir, statement, listing, judged);
    checkCoverage(statement, listing, judged);
    await checkJournal(dir, statement, judged);
    const answers = await reviewAnswers(dir, statement.predicate, keys);
    if (answers.count === 0) add('answers', 'skipped', ['no manual step was answered in this run']);
    else judged('answers', answers.problems, answers.facts);
    const approvals = await reviewApprovals(dir, statement.predicate, keys);
    if (!approvals.present) add('approvals', 'skipped', ['the scenario asks for no approvals']);
    else judged('approvals', approvals.problems, approvals.facts);
    if (options.previous === undefined) {
      add('previous', 'skipped', [statement.predicate.previousRecordSha256 ? `no previous bundle given; the record names ${statement.predicate.previousRecordSha256}` : 'no previous bundle given; the record names none']);
    } else {
      judged('previous', await previousProblems(options.previous, statement), [`previous record ${statement.predicate.previousRecordSha256 ?? ''} in ${options.previous}`]);
    }
  }

  const firstFailure = checks.find((c) => c.status === 'failed');
  if (firstFailure) report.firstFailure = firstFailure;
  report.ok = firstFailure === undefined;
  return report;
}

function toTrustedKey(key: TrustedKey | KeyObject | string): TrustedKey {
  if (typeof key === 'string') return loadTrustedKey(key);
  if ('publicKey' in key && 'source' in key) return key;
  const keyObject = key;
  return { publicKey: keyObject, keyid: keyIdOf(keyObject), source: 'key object' };
}

function readStatement(bytes: Buffer | undefined): { statement?: InTotoStatement; problems: string[] } {
  if (!bytes) return { problems: [`${bundleLayout.record} is missing`] };
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { problems: [`${bundleLayout.record} is not valid JSON`] };
  }
  const problems: string[] = [];
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (v._type !== statementType) problems.push(`_type is ${JSON.stringify(v._type)}, expected ${statementType}`);
  if (v.predicateType !== predicateType) problems.push(`predicateType is ${JSON.stringify(v.predicateType)}, expected ${predicateType}`);
  const subjects = Array.isArray(v.subject) ? (v.subject as unknown[]) : [];
  if (!Array.isArray(v.subject)) problems.push('subject is not a list');
  const names = new Set<string>();
  for (const s of subjects) {
    const subject = (typeof s === 'object' && s !== null ? s : {}) as { name?: unknown; digest?: { sha256?: unknown } };
    const name = typeof subject.name === 'string' ? subject.name : undefined;
    if (name === undefined || !isSafeSubjectName(name)) problems.push(`subject name ${JSON.stringify(subject.name)} is not a safe bundle-relative path`);
    else if (names.has(name)) problems.push(`subject ${name} is listed twice`);
    else names.add(name);
    if (typeof subject.digest?.sha256 !== 'string' || !hex64.test(subject.digest.sha256)) problems.push(`subject ${String(subject.name)} has no hex SHA-256`);
  }
  const predicate = runRecordSchema.safeParse(v.predicate);
  if (!predicate.success) problems.push(...predicate.error.issues.map((i) => `predicate.${i.path.join('.')}: ${i.message}`));
  // drillbook writes record.json in one canonical form: other bytes mean an edit, even one JSON ignores.
  if (problems.length === 0 && `${stableStringify(value)}\n` !== bytes.toString('utf8')) problems.push(`${bundleLayout.record} is not in canonical form (bytes were changed)`);
  if (problems.length > 0) return { problems };
  return { statement: { ...(v as unknown as InTotoStatement), predicate: v.predicate as InTotoStatement['predicate'] }, problems };
}

type Judge = (id: CheckId, problems: string[], passedDetails: string[]) => void;

async function checkSubjects(dir: string, statement: InTotoStatement, listing: BundleListing, judged: Judge): Promise<void> {
  const present = new Set(listing.files);
  const problems: string[] = [];
  let bytes = 0;
  for (const subject of statement.subject) {
    if (!present.has(subject.name)) {
      problems.push(`${subject.name}: missing (or not a regular file)`);
      continue;
    }
    const digest = await hashFile(join(dir, subject.name));
    bytes += digest.bytes;
    if (digest.sha256 !== subject.digest.sha256) problems.push(`${subject.name}: SHA-256 is ${digest.sha256}, the Statement says ${subject.digest.sha256}`);
  }
  judged('subjects', problems, [`${statement.subject.length} files, ${bytes} bytes`]);
}

function checkCoverage(statement: InTotoStatement, listing: BundleListing, judged: Judge): void {
  const covered = new Set(statement.subject.map((s) => s.name));
  const problems = [...listing.problems];
  for (const file of listing.files) {
    if (isSubjectFile(file)) {
      if (!covered.has(file)) problems.push(`${file}: not covered by any subject`);
    } else if (file.startsWith(`${bundleLayout.signatures}/`) && !signOffFile.test(file)) {
      problems.push(`${file}: not a sign-off file (signatures/<keyid>.dsse.json) and not covered`);
    }
  }
  judged('coverage', problems, [`${listing.files.length} files in the bundle`]);
}

async function checkJournal(dir: string, statement: InTotoStatement, judged: Judge): Promise<void> {
  const record = statement.predicate;
  const name = record.journal.file;
  if (!statement.subject.some((s) => s.name === name)) {
    judged('journal', [`the journal ${name} is not a subject of the Statement`], []);
    judged('consistency', ['needs the journal'], []);
    return;
  }
  const bytes = await readOptional(join(dir, name));
  if (!bytes) {
    judged('journal', [`${name} is missing`], []);
    judged('consistency', ['needs the journal'], []);
    return;
  }
  const journal = readJournalBytes(bytes);
  const problems = [...journal.problems];
  if (journal.head !== record.journal.headSha256) problems.push(`head is ${journal.head}, the record says ${record.journal.headSha256}`);
  if (journal.count !== record.journal.entries) problems.push(`${journal.count} entries, the record says ${record.journal.entries}`);
  const torn = journal.tornLines.length ? [`torn line(s) ${journal.tornLines.join(', ')} recorded by journal.torn-line entries`] : [];
  judged('journal', problems, [`${journal.count} entries, head ${journal.head}`, ...torn]);
  const stored = checkStoredFiles(record, new Map(statement.subject.map((subject) => [subject.name, subject.digest.sha256])));
  judged('consistency', [...checkJournalConsistency(record, journal.entries), ...stored], [`${record.steps.length + record.cleanup.length} steps and the verdict ${record.verdict} match the journal`]);
}

async function previousProblems(previousDir: string, statement: InTotoStatement): Promise<string[]> {
  const bytes = await readOptional(join(previousDir, bundleLayout.record));
  if (!bytes) return [`${previousDir} has no ${bundleLayout.record}`];
  const previous = readStatement(bytes);
  if (!previous.statement) return previous.problems.map((p) => `previous: ${p}`);
  const problems: string[] = [];
  const digest = sha256Hex(bytes);
  const named = statement.predicate.previousRecordSha256;
  if (named === undefined) problems.push(`the record names no previous record, but ${previousDir} was given (SHA-256 ${digest})`);
  else if (named !== digest) problems.push(`the record names previous record ${named}, but ${previousDir}/record.json has SHA-256 ${digest}`);
  const before = previous.statement.predicate;
  if (before.scenario.id !== statement.predicate.scenario.id) problems.push(`previous record is of scenario ${before.scenario.id}, not ${statement.predicate.scenario.id}`);
  if (Date.parse(before.finishedAt) > Date.parse(statement.predicate.startedAt)) problems.push(`previous run finished at ${before.finishedAt}, after this run started (${statement.predicate.startedAt})`);
  return problems;
}

async function readOptional(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch {
    return undefined;
  }
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
