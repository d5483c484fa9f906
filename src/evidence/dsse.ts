/**
 * DSSE envelopes (https://github.com/secure-systems-lab/dsse): Ed25519 over the pre-authentication encoding
 * `PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, LEN in ASCII decimal bytes.
 * Envelopes are written as stable JSON; parsing is strict (canonical bytes, canonical padded base64), so no
 * byte of an envelope can change without the verifier noticing.
 */
import { sign, verify, type KeyObject } from 'node:crypto';
import type { SigningKey } from './keys.js';
import { stableStringify } from './stable-json.js';

export interface DsseSignature {
  /** A hint naming the key; the verifier never trusts it, it only checks it against the key that verified. */
  keyid: string;
  /** Standard padded base64 of the Ed25519 signature over PAE. */
  sig: string;
}

export interface DsseEnvelope {
  payloadType: string;
  /** Standard padded base64 of the payload bytes. */
  payload: string;
  signatures: DsseSignature[];
}

/** The bytes a DSSE signature covers. */
export function pae(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `, 'ascii'), type, Buffer.from(` ${payload.length} `, 'ascii'), payload]);
}

/** Sign `payload` and return an envelope with one signature. */
export function signEnvelope(payloadType: string, payload: Uint8Array, key: SigningKey): DsseEnvelope {
  return { payloadType, payload: Buffer.from(payload).toString('base64'), signatures: [createSignature(payloadType, payload, key)] };
}

/** One DSSE signature by `key`. */
export function createSignature(payloadType: string, payload: Uint8Array, key: SigningKey): DsseSignature {
  return { keyid: key.keyid, sig: sign(null, pae(payloadType, payload), key.privateKey).toString('base64') };
}

/** True when `signature` is a valid Ed25519 signature of PAE(payloadType, payload) by `publicKey`. */
export function verifySignature(payloadType: string, payload: Uint8Array, signature: Uint8Array, publicKey: KeyObject): boolean {
  try {
    return verify(null, pae(payloadType, payload), publicKey, signature);
  } catch {
    return false;
  }
}

/** The bytes of an envelope file: stable JSON plus a newline. */
export function serializeEnvelope(envelope: object): string {
  return `${stableStringify(envelope)}\n`;
}

/** Decode standard padded base64, or undefined when `text` is not exactly the canonical encoding of some bytes. */
export function decodeBase64Strict(text: string): Buffer | undefined {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  // Node ignores stray bits in the last character: re-encoding exposes them.
  return bytes.toString('base64') === text ? bytes : undefined;
}

/**
 * Parse envelope JSON text strictly: valid JSON, in the exact bytes drillbook writes, with the DSSE fields.
 * `extraKeys` lists further top-level keys allowed (sign-off files carry `signOff`).
 */
export function parseEnvelope(text: string, extraKeys: readonly string[] = []): { envelope: DsseEnvelope & Record<string, unknown> } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: 'not valid JSON' };
  }
  const shape = envelopeShape(value, extraKeys);
  if (typeof shape === 'string') return { problem: shape };
  if (serializeEnvelope(shape) !== text) return { problem: 'not in canonical form (bytes were changed)' };
  return { envelope: shape };
}

function envelopeShape(value: unknown, extraKeys: readonly string[]): (DsseEnvelope & Record<string, unknown>) | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const record = value as Record<string, unknown>;
  const unknown = Object.keys(record).filter((k) => !['payloadType', 'payload', 'signatures', ...extraKeys].includes(k));
  if (unknown.length > 0) return `unexpected key ${unknown.join(', ')}`;
  if (typeof record.payloadType !== 'string') return 'payloadType is missing';
  if (typeof record.payload !== 'string') return 'payload is missing';
  if (!Array.isArray(record.signatures) || record.signatures.length === 0) return 'signatures is missing or empty';
  for (const s of record.signatures as unknown[]) {
    if (typeof s !== 'object' || s === null || Array.isArray(s)) return 'a signature is not an object';
    const sig = s as Record<string, unknown>;
    if (Object.keys(sig).some((k) => k !== 'keyid' && k !== 'sig')) return 'a signature has unexpected keys';
    if (typeof sig.keyid !== 'string' || typeof sig.sig !== 'string') return 'a signature lacks keyid or sig';
  }
  return record as DsseEnvelope & Record<string, unknown>;
}
