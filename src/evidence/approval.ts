/**
 * Approvals of one run, as files in the bundle: the waiting run writes `approvals/request.json` (the run, the
 * scenario digest, the vars and the approvers' public keys); each approver adds `approvals/<keyid>.dsse.json`,
 * a DSSE envelope over a claim that names that exact request. An approval counts only when its key is one of
 * the request's and its signature verifies, so it cannot be carried to another run, scenario version or set
 * of vars, and it is checked again offline by `verify`.
 */
import { createHash, createPublicKey } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { DrillbookError } from '../errors.js';
import { assertOwnFolder } from './own-folder.js';
import { checkedClaim } from './claim-fields.js';
import { fsyncDirectory, writeNewFileAtomic } from './atomic-write.js';
import { bundleLayout } from './bundle-files.js';
import { decodeBase64Strict, signEnvelope, verifySignature } from './dsse.js';
import { keyIdOf, type SigningKey } from './keys.js';
import { stableStringify } from './stable-json.js';

export const approvalPayloadType = 'application/vnd.drillbook.approval+json';
export const approvalLimitBytes = 64 * 1024;
export const approvalRequestPath = `${bundleLayout.approvals}/request.json`;
export const approvalFile = /^approvals\/([0-9a-f]{64})\.dsse\.json$/;

export function approvalPath(keyid: string): string {
  return `${bundleLayout.approvals}/${keyid}.dsse.json`;
}

export const approvalRequestSchema = z.strictObject({
  runId: z.string(),
  scenarioId: z.string(),
  scenarioSha256: z.string(),
  vars: z.record(z.string(), z.string()),
  requestedAt: z.string(),
  quorum: z.int().positive(),
  /** Each approver key: id, SPKI PEM, and the file the scenario named. */
  approvers: z.array(z.strictObject({ keyid: z.string(), publicKey: z.string(), file: z.string() })).min(1),
});
export type ApprovalRequest = z.infer<typeof approvalRequestSchema>;

export const approvalClaimSchema = z.strictObject({
  runId: z.string(),
  scenarioSha256: z.string(),
  /** SHA-256 of request.json's bytes: the exact question approved. */
  requestSha256: z.string(),
  by: z.string().min(1).max(200),
  at: z.string(),
  keyid: z.string(),
  comment: z.string().max(4000).exactOptional(),
});
export type ApprovalClaim = z.infer<typeof approvalClaimSchema>;

const envelopeSchema = z.strictObject({
  payloadType: z.literal(approvalPayloadType),
  payload: z.string(),
  signatures: z.array(z.strictObject({ keyid: z.string(), sig: z.string() })).length(1),
});

/** Write the run's request for approvals (once). Returns its bytes' SHA-256. */
export function writeApprovalRequest(bundleDir: string, request: ApprovalRequest): string {
  const text = `${stableStringify(approvalRequestSchema.parse(request))}\n`;
  writeNew(bundleDir, approvalRequestPath, text);
  return sha256(Buffer.from(text, 'utf8'));
}

/** The request of the bundle in `dir`, with its digest. */
export function readApprovalRequest(bundleDir: string): { request: ApprovalRequest; sha256: string } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(join(bundleDir, approvalRequestPath));
  } catch (error) {
    throw new DrillbookError('PRECONDITION', `${bundleDir} has no ${approvalRequestPath}: this run does not wait for approvals`, { cause: error });
  }
  const parsed = approvalRequestSchema.safeParse(JSON.parse(bytes.toString('utf8')));
  if (!parsed.success) throw new DrillbookError('PRECONDITION', `${approvalRequestPath} is not an approval request`);
  return { request: parsed.data, sha256: sha256(bytes) };
}

/** Approve: sign a claim naming the request, as `approvals/<keyid>.dsse.json` (never replacing one). */
export function writeApproval(bundleDir: string, claim: ApprovalClaim, key: SigningKey): { file: string; sha256: string } {
  const payload = Buffer.from(stableStringify(checkedClaim(approvalClaimSchema, claim, 'approval')), 'utf8');
  const text = `${stableStringify(signEnvelope(approvalPayloadType, payload, key))}\n`;
  const file = approvalPath(key.keyid);
  try {
    writeNew(bundleDir, file, text);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new DrillbookError('PRECONDITION', `key ${key.keyid} has already approved this run (${file})`, { cause: error });
    throw error;
  }
  return { file, sha256: sha256(Buffer.from(text, 'utf8')) };
}

export type CheckedApproval = { ok: true; claim: ApprovalClaim; sha256: string } | { ok: false; problem: string; sha256: string };

/** Check an approval file's bytes against the request it must approve (`file` names the key it claims). */
export function checkApproval(bytes: Buffer, file: string, request: ApprovalRequest, requestSha256: string): CheckedApproval {
  const digest = sha256(bytes);
  const fail = (problem: string): CheckedApproval => ({ ok: false, problem, sha256: digest });
  if (bytes.length > approvalLimitBytes) return fail(`larger than ${approvalLimitBytes} bytes`);
  const nameKeyid = approvalFile.exec(file)?.[1];
  if (!nameKeyid) return fail('not named approvals/<keyid>.dsse.json');
  const approver = request.approvers.find((a) => a.keyid === nameKeyid);
  if (!approver) return fail(`key ${nameKeyid} is not one of the approvers`);
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    return fail('not JSON');
  }
  const envelope = envelopeSchema.safeParse(json);
  if (!envelope.success) return fail('not an approval envelope');
  const payload = decodeBase64Strict(envelope.data.payload);
  const [signature] = envelope.data.signatures;
  const sig = signature ? decodeBase64Strict(signature.sig) : undefined;
  const key = createPublicKey(approver.publicKey);
  if (!payload || !signature || signature.keyid !== nameKeyid || keyIdOf(key) !== nameKeyid || !sig || !verifySignature(approvalPayloadType, payload, sig, key)) {
    return fail('its signature does not verify with the approver key it names');
  }
  let claimJson: unknown;
  try {
    claimJson = JSON.parse(payload.toString('utf8'));
  } catch {
    return fail('its payload is not JSON');
  }
  const claim = approvalClaimSchema.safeParse(claimJson);
  if (!claim.success) return fail('its payload is not an approval claim');
  // Exactly the claim, as `drillbook approve` writes it: no other field, no escapes hiding what it says.
  if (!payload.equals(Buffer.from(stableStringify(claim.data), 'utf8'))) return fail('its envelope does not sign exactly its claim');
  if (claim.data.keyid !== nameKeyid) return fail('its claim names another key');
  if (claim.data.runId !== request.runId || claim.data.scenarioSha256 !== request.scenarioSha256 || claim.data.requestSha256 !== requestSha256) {
    return fail('it approves another run, scenario version or request');
  }
  return { ok: true, claim: claim.data, sha256: digest };
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function writeNew(bundleDir: string, relative: string, text: string): void {
  assertOwnFolder(bundleDir, bundleLayout.approvals);
  mkdirSync(join(bundleDir, bundleLayout.approvals), { recursive: true, mode: 0o700 });
  fsyncDirectory(bundleDir);
  assertOwnFolder(bundleDir, bundleLayout.approvals);
  writeNewFileAtomic(join(bundleDir, relative), text);
}
