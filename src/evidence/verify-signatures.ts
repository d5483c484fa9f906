/**
 * Which signatures of a bundle count: the envelope and every sign-off, each checked against the pinned
 * keys only. The keyid in a file orders the search and must name the key that verifies; it is never trust.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bundleLayout, signOffFile } from './bundle-files.js';
import { decodeBase64Strict, parseEnvelope, verifySignature, type DsseEnvelope, type DsseSignature } from './dsse.js';
import type { TrustedKey } from './keys.js';
import { rolePattern, signOffPayloadType, type SignOffClaim } from './sign-off.js';
import { inTotoPayloadType } from './statement.js';

export type CheckStatus = 'passed' | 'failed' | 'skipped';

/** A signature that a pinned key verified. */
export interface VerifiedSigner {
  keyid: string;
  /** `sealed` for record.dsse.json, else the signed role of the sign-off. */
  role: string;
  file: string;
  /** The pinned key file (or description) that verified it. */
  keySource: string;
  signedAt?: string;
}

/** The outcome of the envelope and signatures checks. */
export interface SignatureReview {
  envelope: { status: CheckStatus; details: string[] };
  signatures: { status: CheckStatus; details: string[] };
  signers: VerifiedSigner[];
  /** Signatures by keys that were not pinned: listed, never counted. */
  untrusted: { file: string; keyid: string }[];
}

/** Check record.dsse.json and every `signatures/<keyid>.dsse.json` of the bundle against the pinned keys. */
export async function reviewSignatures(dir: string, files: readonly string[], recordBytes: Buffer | undefined, keys: readonly TrustedKey[], threshold: number): Promise<SignatureReview> {
  const payloadSha256 = recordBytes ? createHash('sha256').update(recordBytes).digest('hex') : undefined;
  const candidates: Candidate[] = [];
  const problems: string[] = [];
  const result: SignatureReview = { envelope: { status: 'passed', details: [] }, signatures: { status: 'passed', details: [] }, signers: [], untrusted: [] };

  const envelopeText = await readOptional(join(dir, bundleLayout.envelope));
  if (!envelopeText) {
    result.envelope = { status: threshold > 0 ? 'failed' : 'skipped', details: [`${bundleLayout.envelope} is missing: the bundle was sealed unsigned`] };
  } else {
    const found = envelopeProblems(envelopeText.toString('utf8'), recordBytes, [], (envelope) => {
      for (const signature of envelope.signatures) candidates.push({ file: bundleLayout.envelope, signature });
    });
    result.envelope = found.length
      ? { status: 'failed', details: found }
      : { status: 'passed', details: [`payloadType ${inTotoPayloadType}, payload identical to record.json`] };
  }
  for (const file of files.filter((f) => f.startsWith(`${bundleLayout.signatures}/`))) {
    const nameKeyid = signOffFile.exec(file)?.[1];
    if (!nameKeyid) continue; // reported by the coverage check
    const text = (await readOptional(join(dir, file)))?.toString('utf8') ?? '';
    const found = envelopeProblems(text, recordBytes, ['signOff'], (envelope) => {
      if (envelope.signatures.length !== 1) problems.push(`${file}: a sign-off carries exactly one signature, found ${envelope.signatures.length}`);
      for (const signature of envelope.signatures) candidates.push({ file, signature, signOff: envelope.signOff, nameKeyid });
    });
    problems.push(...found.map((p) => `${file}: ${p}`));
  }

  for (const candidate of candidates) {
    const outcome = checkSignature(candidate, keys, recordBytes, payloadSha256);
    if ('problem' in outcome) problems.push(`${candidate.file}: ${outcome.problem}`);
    else if ('untrusted' in outcome) result.untrusted.push({ file: candidate.file, keyid: candidate.signature.keyid });
    else result.signers.push(outcome.signer);
  }
  const facts = [
    ...result.signers.map((s) => `${s.role}: key ${s.keyid} (${s.file}, pinned as ${s.keySource})`),
    ...result.untrusted.map((u) => `not counted: ${u.file} names key ${u.keyid}, which is not pinned`),
  ];
  if (candidates.length === 0 && problems.length === 0) result.signatures = { status: threshold > 0 ? 'failed' : 'skipped', details: ['no signatures'] };
  else result.signatures = problems.length ? { status: 'failed', details: problems } : { status: 'passed', details: facts };
  return result;
}

interface Candidate {
  file: string;
  signature: DsseSignature;
  /** The inner role envelope of a sign-off file; absent for record.dsse.json. */
  signOff?: unknown;
  /** Key id named by the file name of a sign-off. */
  nameKeyid?: string;
}

function envelopeProblems(text: string, recordBytes: Buffer | undefined, extraKeys: readonly string[], accept: (envelope: DsseEnvelope & Record<string, unknown>) => void): string[] {
  const parsed = parseEnvelope(text, extraKeys);
  if ('problem' in parsed) return [parsed.problem];
  const { envelope } = parsed;
  const problems: string[] = [];
  if (envelope.payloadType !== inTotoPayloadType) problems.push(`payloadType is ${JSON.stringify(envelope.payloadType)}, expected ${inTotoPayloadType}`);
  const payload = decodeBase64Strict(envelope.payload);
  if (!payload) problems.push('payload is not canonical padded base64');
  else if (!recordBytes || !payload.equals(recordBytes)) problems.push('payload differs from record.json');
  if (extraKeys.includes('signOff') && envelope.signOff === undefined) problems.push('signOff (the signed role) is missing');
  if (problems.length === 0) accept(envelope);
  return problems;
}

type SignatureOutcome = { signer: VerifiedSigner } | { untrusted: true } | { problem: string };

function checkSignature(candidate: Candidate, keys: readonly TrustedKey[], payload: Buffer | undefined, payloadSha256: string | undefined): SignatureOutcome {
  const { signature } = candidate;
  const sig = decodeBase64Strict(signature.sig);
  if (!sig || !payload) return { problem: 'sig is not canonical padded base64' };
  // The keyid only orders the search; any pinned key that verifies is the signer.
  const ordered = [...keys].sort((a, b) => Number(b.keyid === signature.keyid) - Number(a.keyid === signature.keyid));
  const key = ordered.find((k) => verifySignature(inTotoPayloadType, payload, sig, k.publicKey));
  if (!key) {
    return keys.some((k) => k.keyid === signature.keyid) ? { problem: `signature does not verify with pinned key ${signature.keyid}` } : { untrusted: true };
  }
  if (signature.keyid !== key.keyid) return { problem: `keyid ${signature.keyid} does not name the pinned key that verifies the signature (${key.keyid})` };
  if (candidate.nameKeyid !== undefined && candidate.nameKeyid !== key.keyid) return { problem: `file name does not match the signing key ${key.keyid}` };
  if (candidate.signOff === undefined) return { signer: { keyid: key.keyid, role: 'sealed', file: candidate.file, keySource: key.source } };
  const claim = signOffClaim(candidate.signOff, key, payloadSha256);
  if ('problem' in claim) return claim;
  return { signer: { keyid: key.keyid, role: claim.role, file: candidate.file, keySource: key.source, signedAt: claim.signedAt } };
}

function signOffClaim(value: unknown, key: TrustedKey, payloadSha256: string | undefined): SignOffClaim | { problem: string } {
  const v = (typeof value === 'object' && value !== null ? value : {}) as Partial<DsseEnvelope>;
  const payload = typeof v.payload === 'string' ? decodeBase64Strict(v.payload) : undefined;
  const signatures = Array.isArray(v.signatures) ? v.signatures : [];
  const only = signatures.length === 1 ? signatures[0] : undefined;
  const sig = typeof only?.sig === 'string' ? decodeBase64Strict(only.sig) : undefined;
  if (v.payloadType !== signOffPayloadType || !payload || !only || !sig || only.keyid !== key.keyid) return { problem: 'signOff is not an envelope signed once by the same key' };
  if (!verifySignature(signOffPayloadType, payload, sig, key.publicKey)) return { problem: 'signOff signature does not verify: the role was changed' };
  let claim: Partial<SignOffClaim>;
  try {
    claim = JSON.parse(payload.toString('utf8')) as Partial<SignOffClaim>;
  } catch {
    return { problem: 'signOff payload is not JSON' };
  }
  if (payloadSha256 === undefined || claim.recordSha256 !== payloadSha256) return { problem: 'signOff names another record' };
  if (claim.keyid !== key.keyid || typeof claim.role !== 'string' || !rolePattern.test(claim.role) || typeof claim.signedAt !== 'string') {
    return { problem: 'signOff claim is incomplete' };
  }
  return { role: claim.role, keyid: claim.keyid, recordSha256: payloadSha256, signedAt: claim.signedAt };
}

async function readOptional(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch {
    return undefined;
  }
}
