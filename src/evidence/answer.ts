/**
 * A manual step's question and its answer, as files in the bundle: the waiting run writes
 * `answers/<step>/<attempt>.request.json`; whoever answers (the run's own terminal, `drillbook answer` from
 * another process or machine) creates `answers/<step>/<attempt>.answer.json` once, never replacing one. An
 * answer binds the run, the scenario digest, the attempt and the request's nonce, so it cannot be replayed
 * onto another question; signed (`--key`), it carries a DSSE envelope over exactly its claim.
 */
import { createHash, createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { DrillbookError } from '../errors.js';
import { assertOwnFolder } from './own-folder.js';
import { checkedClaim } from './claim-fields.js';
import { fsyncDirectory, writeNewFileAtomic } from './atomic-write.js';
import { bundleLayout } from './bundle-files.js';
import { decodeBase64Strict, signEnvelope, verifySignature, type DsseEnvelope } from './dsse.js';
import { keyIdOf, type SigningKey } from './keys.js';
import { eventsOfType, type JournalEvent } from './journal-events.js';
import { stableStringify } from './stable-json.js';

/** payloadType of a signed answer's envelope. */
export const answerPayloadType = 'application/vnd.drillbook.answer+json';
/** An answer file larger than this is refused unread (a comment is text, not a payload). */
export const answerLimitBytes = 64 * 1024;

const name = z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]{0,63}$/);

export const manualRequestSchema = z.strictObject({
  runId: z.string(),
  scenarioSha256: z.string(),
  stepId: z.string(),
  attempt: z.int().positive(),
  nonce: z.string(),
  askedAt: z.string(),
  instructions: z.string(),
  confirm: z.array(z.string()),
  assignee: z.string().exactOptional(),
  record: z.array(name),
});
export type ManualRequest = z.infer<typeof manualRequestSchema>;

export const answerClaimSchema = z.strictObject({
  runId: z.string(),
  scenarioSha256: z.string(),
  stepId: z.string(),
  attempt: z.int().positive(),
  nonce: z.string(),
  outcome: z.enum(['passed', 'failed']),
  by: z.string().min(1).max(200),
  at: z.string(),
  comment: z.string().max(4000).exactOptional(),
  inputs: z.record(name, z.string().max(1000)),
  /** The checklist items the answerer confirmed. */
  confirmed: z.array(z.string()),
});
export type AnswerClaim = z.infer<typeof answerClaimSchema>;

const envelopeSchema = z.strictObject({
  payloadType: z.literal(answerPayloadType),
  payload: z.string(),
  signatures: z.array(z.strictObject({ keyid: z.string(), sig: z.string() })).length(1),
});

const answerFileSchema = z.strictObject({
  claim: answerClaimSchema,
  envelope: envelopeSchema.exactOptional(),
  /** SPKI PEM of the key that signed: the signature is checked against it, trust comes from pinning its key id. */
  publicKey: z.string().exactOptional(),
});

export function requestPath(stepId: string, attempt: number): string {
  return `${bundleLayout.answers}/${stepId}/${attempt}.request.json`;
}

export function answerPath(stepId: string, attempt: number): string {
  return `${bundleLayout.answers}/${stepId}/${attempt}.answer.json`;
}

export function newNonce(): string {
  return randomBytes(16).toString('hex');
}

/** Write the question a manual step waits on (once per attempt). */
export function writeRequest(bundleDir: string, request: ManualRequest): string {
  const relative = requestPath(request.stepId, request.attempt);
  writeNew(bundleDir, relative, `${stableStringify(request)}\n`);
  return relative;
}

/** Read a question back (`drillbook answer` shows it and binds its nonce). */
export function readRequest(bundleDir: string, relative: string): ManualRequest {
  const parsed = manualRequestSchema.safeParse(JSON.parse(readFileSync(join(bundleDir, relative), 'utf8')));
  if (!parsed.success) throw new DrillbookError('USAGE', `${relative} is not a manual step's question`);
  return parsed.data;
}

/** What an answer to `request` says, by `by` at `at`. */
export function claimFor(request: ManualRequest, parts: AnswerParts, by: string, at: string): AnswerClaim {
  const { runId, scenarioSha256, stepId, attempt, nonce } = request;
  return {
    runId,
    scenarioSha256,
    stepId,
    attempt,
    nonce,
    outcome: parts.outcome,
    by,
    at,
    ...(parts.comment !== undefined && parts.comment !== '' ? { comment: parts.comment } : {}),
    inputs: parts.inputs,
    confirmed: parts.confirmed,
  };
}

/** What the person decides: the rest of an answer is the question's. */
export type AnswerParts = Pick<AnswerClaim, 'outcome' | 'inputs' | 'confirmed'> & { comment?: string };

/**
 * Answer a question: creates the answer file, never replaces one (a second answer is refused: the first one
 * counts). Signed with `key` when given. Returns the bundle-relative path and the key id.
 */
export function writeAnswer(bundleDir: string, claim: AnswerClaim, key?: SigningKey): { file: string; sha256: string; keyid?: string } {
  const checked = checkedClaim(answerClaimSchema, claim, 'answer');
  const payload = Buffer.from(stableStringify(checked), 'utf8');
  const file = key
    ? { claim: checked, envelope: signEnvelope(answerPayloadType, payload, key), publicKey: key.publicKey.export({ type: 'spki', format: 'pem' }).toString() }
    : { claim: checked };
  const relative = answerPath(claim.stepId, claim.attempt);
  const text = `${stableStringify(file)}\n`;
  try {
    writeNew(bundleDir, relative, text);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new DrillbookError('USAGE', `step ${claim.stepId} attempt ${claim.attempt} is already answered (${relative})`, { cause: error });
    }
    throw error;
  }
  return { file: relative, sha256: createHash('sha256').update(text).digest('hex'), ...(key ? { keyid: key.keyid } : {}) };
}

/** Why an answer does not answer this question, if it does not. */
export function misfit(request: ManualRequest, claim: AnswerClaim): string | undefined {
  for (const field of ['runId', 'scenarioSha256', 'stepId', 'attempt', 'nonce'] as const) {
    if (claim[field] !== request[field]) return `its ${field} is not this question's`;
  }
  const unknown = Object.keys(claim.inputs).filter((name) => !request.record.includes(name));
  if (unknown.length) return `it records inputs the step does not ask for: ${unknown.join(', ')}`;
  const strange = claim.confirmed.filter((item) => !request.confirm.includes(item));
  if (strange.length) return 'it confirms items that are not on the checklist';
  if (claim.outcome === 'passed') {
    const missing = request.record.filter((name) => (claim.inputs[name] ?? '').trim() === '');
    if (missing.length) return `a pass must record ${missing.join(', ')}`;
    const unconfirmed = request.confirm.filter((item) => !claim.confirmed.includes(item));
    if (unconfirmed.length) return `a pass must confirm every checklist item (${unconfirmed.length} not confirmed)`;
  } else if ((claim.comment ?? '').trim() === '') {
    return 'a fail must say why (comment)';
  }
  return undefined;
}

/** The question `stepId` waits on now (asked, not answered, its attempt not over), or why there is none. */
export function openQuestion(events: readonly JournalEvent[], stepId: string): { attempt: number; file: string } | { none: string } {
  const asked = eventsOfType(events, 'manual.waiting').filter((e) => e.data.stepId === stepId).at(-1);
  const over = eventsOfType(events, 'run.finished').length > 0;
  if (!asked) {
    if (over) return { none: 'the run is over' };
    const waiting = openQuestionSteps(events);
    return { none: `step ${stepId} has not asked anything${waiting.length ? ` (waiting: ${waiting.join(', ')})` : ' (no step is waiting)'}` };
  }
  const { attempt } = asked.data;
  const same = (e: { data: { stepId: string; attempt: number } }): boolean => e.data.stepId === stepId && e.data.attempt === attempt;
  if (eventsOfType(events, 'manual.answered').some(same)) return { none: `step ${stepId} attempt ${attempt} is already answered` };
  if (eventsOfType(events, 'attempt.finished').some(same) || over) return { none: `step ${stepId} attempt ${attempt} is over (timed out or stopped)` };
  return { attempt, file: asked.data.file };
}

/** Steps whose question is open now. */
export function openQuestionSteps(events: readonly JournalEvent[]): string[] {
  const open = new Set<string>();
  for (const e of events) {
    if (e.type === 'manual.waiting') open.add(`${e.data.stepId}#${e.data.attempt}`);
    else if (e.type === 'manual.answered' || e.type === 'attempt.finished') open.delete(`${e.data.stepId}#${e.data.attempt}`);
  }
  return [...open].map((key) => key.slice(0, key.lastIndexOf('#')));
}

export type ParsedAnswer = { ok: true; claim: AnswerClaim; keyid?: string; sha256: string } | { ok: false; problem: string; sha256: string };

/** Parse and check an answer file's bytes: shape, and for a signed one, the signature over the claim. */
export function parseAnswer(bytes: Buffer): ParsedAnswer {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (bytes.length > answerLimitBytes) return { ok: false, problem: `larger than ${answerLimitBytes} bytes`, sha256 };
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { ok: false, problem: 'not JSON', sha256 };
  }
  const parsed = answerFileSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    return { ok: false, problem: `not an answer: ${first ? `${first.path.join('.') || 'file'}: ${first.message}` : 'invalid'}`, sha256 };
  }
  const { claim, envelope, publicKey } = parsed.data;
  if (!envelope && !publicKey) return { ok: true, claim, sha256 };
  if (!envelope || !publicKey) return { ok: false, problem: 'a signed answer carries both its envelope and its public key', sha256 };
  const signed = checkEnvelope(envelope, publicKey, claim);
  return typeof signed === 'string' ? { ok: false, problem: signed, sha256 } : { ok: true, claim, keyid: signed.keyid, sha256 };
}

function checkEnvelope(envelope: DsseEnvelope, publicKeyPem: string, claim: AnswerClaim): { keyid: string } | string {
  let key: KeyObject;
  try {
    key = createPublicKey(publicKeyPem);
  } catch {
    return 'its public key is not a PEM public key';
  }
  if (key.asymmetricKeyType !== 'ed25519') return 'its public key is not Ed25519';
  const payload = decodeBase64Strict(envelope.payload);
  if (!payload || !payload.equals(Buffer.from(stableStringify(claim), 'utf8'))) return 'its envelope does not sign exactly its claim';
  const [signature] = envelope.signatures;
  const sig = signature ? decodeBase64Strict(signature.sig) : undefined;
  const keyid = keyIdOf(key);
  if (!signature || signature.keyid !== keyid || !sig || !verifySignature(answerPayloadType, payload, sig, key)) return 'its signature does not verify';
  return { keyid };
}

function writeNew(bundleDir: string, relative: string, text: string): void {
  const inner = relative.split('/').slice(0, -1).join('/');
  assertOwnFolder(bundleDir, inner);
  const folder = join(bundleDir, inner);
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  fsyncDirectory(join(folder, '..'));
  assertOwnFolder(bundleDir, inner);
  writeNewFileAtomic(join(bundleDir, relative), text);
}
