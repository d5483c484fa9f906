/** Streaming SHA-256 of a file, optionally searching the same bytes for secret values in the same pass. */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

/** 1 MiB reads: measured ~15% faster than the 64 KiB stream default for SHA-256 of large files. */
const chunkBytes = 1 << 20;

/** Where a secret value was found: byte offset and index into the list searched for. */
export interface SecretHit {
  offset: number;
  index: number;
}

export interface FileDigest {
  sha256: string;
  bytes: number;
  /** The first secret found, when secrets were given and one occurs. */
  secret?: SecretHit;
}

/**
 * Hash `file` with 1 MiB reads. When `secrets` are given, also report the first occurrence of any of them,
 * including occurrences that straddle two reads.
 */
export async function hashFile(file: string, secrets: readonly Uint8Array[] = []): Promise<FileDigest> {
  const hash = createHash('sha256');
  const handle = await open(file, 'r');
  const buffer = Buffer.allocUnsafe(chunkBytes);
  const overlap = Math.max(0, ...secrets.map((s) => s.length)) - 1;
  let carry: Buffer = Buffer.alloc(0);
  let total = 0;
  let secret: SecretHit | undefined;
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, chunkBytes, null);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      hash.update(chunk);
      if (secret === undefined && overlap >= 0 && secrets.length > 0) {
        // Search the chunk plus the tail of the previous one, so a secret split by the read is still found.
        const window = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
        const found = findSecret(window, secrets);
        if (found) secret = { offset: total - carry.length + found.offset, index: found.index };
        carry = Buffer.from(window.subarray(Math.max(0, window.length - overlap)));
      }
      total += bytesRead;
    }
  } finally {
    await handle.close();
  }
  const digest: FileDigest = { sha256: hash.digest('hex'), bytes: total };
  if (secret) digest.secret = secret;
  return digest;
}

/** The earliest occurrence of any of `secrets` in `bytes`. Empty secrets are ignored. */
export function findSecret(bytes: Uint8Array, secrets: readonly Uint8Array[]): SecretHit | undefined {
  let best: SecretHit | undefined;
  const haystack = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const [index, value] of secrets.entries()) {
    if (value.length === 0) continue;
    const offset = haystack.indexOf(value);
    if (offset !== -1 && (best === undefined || offset < best.offset)) best = { offset, index };
  }
  return best;
}
