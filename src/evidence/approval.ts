/**
 * Approvals of one run, as files in the bundle. Each gate has a folder: `approvals/` for the run's own gate
 * (before its steps), `approvals/<step>/<attempt>/` for a step `uses: approval`. The waiting run writes the
 * gate's `request.json` (the run, the scenario digest, the vars, the step and the approvers' public keys);
 * each approver adds `<keyid>.dsse.json`, a DSSE envelope over a claim that names that exact request. An
 * approval counts only when its key is one of the request's and its signature verifies, so it cannot be
 * carried to another run, gate, scenario version or set of vars, and it is checked again offline by `verify`.
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

/** A step's gate: the attempt of a step `uses: approval`. Without one, the run's own gate. */
export interface Gate {
  stepId: string;
  attempt: number;
}

/** The bundle folder of a gate's request and approvals. */
export function gateFolder(gate?: Gate | { stepId?: string; attempt?: number }): string {
  return gate?.stepId !== undefined && gate.attempt !== undefined ? `${bundleLayout.approvals}/${gate.stepId}/${gate.attempt}` : bundleLayout.approvals;
}

export function gateRequestPath(gate?: Gate | { stepId?: string; attempt?: number }): string {
  return `${gateFolder(gate)}/request.json`;
}

export function approvalPath(keyid: string, gate?: Gate): string {
  return `${gateFolder(gate)}/${keyid}.dsse.json`;
}

/** The key id an approval file of `folder` is named after, or undefined when it is not named like one. */
export function approvalKeyid(file: string, folder: string): string | undefined {
  if (!file.startsWith(`${folder}/`)) return undefined;
  return /^([0-9a-f]{64})\.dsse\.json$/.exec(file.slice(folder.length + 1))?.[1];
}

export const approvalRequestSchema = z.strictObject({
  runId: z.string(),
  scenarioId: z.string(),
  scenarioSha256: z.string(),
  vars: z.record(z.string(), z.string()),
  requestedAt: z.string(),
  quorum: z.int().positive(),
  /** Each approver key: id, SPKI PEM, the file the scenario (or its trust file) named, and its roles. */
  approvers: z.array(z.strictObject({ keyid: z.string(), publicKey: z.string(), file: z.string(), roles: z.array(z.string()).exactOptional() })).min(1),
  /** The trust file that gave roles their keys, and its SHA-256 when the run read it. */
  trust: z.strictObject({ file: z.string(), sha256: z.string() }).exactOptional(),
  /** The step `uses: approval` and its attempt this request is for; absent: the run's own gate. */
  stepId: z.string().exactOptional(),
  attempt: z.int().positive().exactOptional(),
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

/** Write a gate's request for approvals (once). Returns its bytes' SHA-256. */
export function writeApprovalRequest(bundleDir: string, request: ApprovalRequest): string {
  const text = `${stableStringify(approvalRequestSchema.parse(request))}\n`;
  writeNew(bundleDir, gateFolder(request), gateRequestPath(request), text);
  return sha256(Buffer.from(text, 'utf8'));
}

/** The request of a gate of the bundle in `dir`, with its digest. */
export function readApprovalRequest(bundleDir: string, gate?: Gate): { request: ApprovalRequest; sha256: string } {
  const file = gateRequestPath(gate);
  let bytes: Buffer;
  try {
    bytes = readFileSync(join(bundleDir, file));
  } catch (error) {
    throw new DrillbookError('PRECONDITION', `${bundleDir} has no ${file}: this run does not wait for ${gate ? `approvals at step ${gate.stepId}` : 'approvals'}`, { cause: error });
  }
  const parsed = parseApprovalRequest(bytes);
  if (!parsed || parsed.stepId !== gate?.stepId || parsed.attempt !== gate?.attempt) throw new DrillbookError('PRECONDITION', `${file} is not an approval request for this gate`);
  return { request: parsed, sha256: sha256(bytes) };
}

export function parseApprovalRequest(bytes: Buffer): ApprovalRequest | undefined {
  try {
    const parsed = approvalRequestSchema.safeParse(JSON.parse(bytes.toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Approve: sign a claim naming the request, as `<gate folder>/<keyid>.dsse.json` (never replacing one). */
export function writeApproval(bundleDir: string, claim: ApprovalClaim, key: SigningKey, gate?: Gate): { file: string; sha256: string } {
  const payload = Buffer.from(stableStringify(checkedClaim(approvalClaimSchema, claim, 'approval')), 'utf8');
  const text = `${stableStringify(signEnvelope(approvalPayloadType, payload, key))}\n`;
  const file = approvalPath(key.keyid, gate);
  try {
    writeNew(bundleDir, gateFolder(gate), file, text);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new DrillbookError('PRECONDITION', `key ${key.keyid} has already approved ${gate ? `step ${gate.stepId} (attempt ${gate.attempt})` : 'this run'} (${file})`, { cause: error });
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
  const folder = gateFolder(request);
  const nameKeyid = approvalKeyid(file, folder);
  if (!nameKeyid) return fail(`not named ${folder}/<keyid>.dsse.json`);
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

function writeNew(bundleDir: string, folder: string, relative: string, text: string): void {
  assertOwnFolder(bundleDir, folder);
  mkdirSync(join(bundleDir, folder), { recursive: true, mode: 0o700 });
  // Each new folder's entry is durable in its parent, so the request survives a crash with the journal line.
  const parts = folder.split('/');
  for (let depth = 0; depth < parts.length; depth++) fsyncDirectory(join(bundleDir, ...parts.slice(0, depth)));
  assertOwnFolder(bundleDir, folder);
  writeNewFileAtomic(join(bundleDir, relative), text);
}
