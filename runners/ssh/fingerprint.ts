/** Host key fingerprints exactly as `ssh-keygen -lf` prints them, from the raw SSH key blob. */
import { createHash } from 'node:crypto';

/** `"SHA256:" + base64(sha256(blob))` without `=` padding. */
export function fingerprintOf(blob: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type a blob starts with (`ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa` …), or `unknown`. */
export function keyTypeOf(blob: Uint8Array): string {
  if (blob.length < 4) return 'unknown';
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const length = view.getUint32(0);
  if (length === 0 || length > 64 || 4 + length > blob.length) return 'unknown';
  return Buffer.from(blob.subarray(4, 4 + length)).toString('latin1');
}

/** A host key seen during a handshake, as the record keeps it. */
export interface SeenHostKey {
  /** The host as the scenario names it. */
  host: string;
  /** Address and port actually contacted. */
  address: string;
  type: string;
  fingerprint: string;
  /** How it was accepted: `pinned`, `known_hosts FILE:LINE`, or `insecure` (not verified). */
  verifiedBy: string;
}
