/**
 * Proof on the destination: the listing must show every imported key with its size, and a fresh GET of
 * each must give the manifest's SHA-256, content type and user metadata. The GET is checked against the
 * destination's own facts too (verified-get.ts): a copy damaged on the way back is read once more, so
 * that what is judged is the copy the destination holds.
 */
import type { AttemptClock } from '../../src/runner-contract.js';
import type { S3Session } from '../shared/s3/client.js';
import { describeMismatches, integritySummary, type IntegritySummary } from '../shared/s3/integrity.js';
import type { ListedObject } from '../shared/s3/list-objects.js';
import { getVerified, IntegrityError, type BodySink, type IntegrityRetry } from '../shared/s3/verified-get.js';
import type { ImportEntry } from './import-manifest.js';

/** What the read-back checked: the facts (or `'size-checked only'`), and the reads done again. */
export interface ReadBackIntegrity {
  integrity: IntegritySummary;
  integrityRetries?: IntegrityRetry[];
}

export type CopyCheck =
  | ({ kind: 'verified' } & ReadBackIntegrity)
  | { kind: 'missing'; reason: string }
  | ({ kind: 'mismatched'; reason: string } & Partial<ReadBackIntegrity>);

/** The read-back only hashes: nothing is kept. */
const hashOnly: BodySink = { write: () => undefined, discard: () => Promise.resolve() };
/** Metadata keys compared without case: stores return them lower-cased. */
function sameMetadata(expected: Readonly<Record<string, string>>, found: Readonly<Record<string, string>>): boolean {
  const lower = (map: Readonly<Record<string, string>>): Map<string, string> => new Map(Object.entries(map).map(([key, value]) => [key.toLowerCase(), value]));
  const a = lower(expected);
  const b = lower(found);
  return a.size === b.size && [...a].every(([key, value]) => b.get(key) === value);
}

/**
 * Check the copy of `entry` at `key`. `listed` is what the destination's listing showed for that key;
 * `versionId` pins the version this import wrote, when the destination gave one.
 */
export async function checkCopy(
  session: S3Session,
  request: { entry: ImportEntry; key: string; listed: ListedObject | undefined; versionId: string | undefined; signal: AbortSignal; clock: AttemptClock },
): Promise<CopyCheck> {
  const { entry, key, listed, versionId, signal, clock } = request;
  if (!listed) return { kind: 'missing', reason: 'not listed on the destination' };
  if (listed.size !== entry.size) return { kind: 'mismatched', reason: `listed with ${listed.size} bytes, the manifest says ${entry.size}` };
  let got: Awaited<ReturnType<typeof getVerified>>;
  try {
    got = await getVerified(session, {
      key,
      versionId,
      listed: { size: listed.size, etag: listed.etag },
      expectedSha256: entry.sha256,
      signal,
      clock,
      open: () => Promise.resolve(hashOnly),
    });
  } catch (error) {
    if (!(error instanceof IntegrityError)) throw error;
    const { integrity, retries } = error;
    const facts = { integrity: integritySummary(integrity), ...(retries.length ? { integrityRetries: retries } : {}) };
    if (error.code === 'S3_DIGEST_MISMATCH') {
      return { kind: 'mismatched', reason: `read back ${integrity.bytes} bytes with SHA-256 ${integrity.sha256}, the manifest says ${entry.size} bytes with ${entry.sha256}`, ...facts };
    }
    return { kind: 'mismatched', reason: `the copy read back fails the destination's own facts on ${retries.length + 1} reads: ${describeMismatches(integrity.mismatches)}`, ...facts };
  }
  const facts: ReadBackIntegrity = { integrity: integritySummary(got.integrity), ...(got.retries.length ? { integrityRetries: got.retries } : {}) };
  const response = got.response;
  if (entry.contentType !== undefined && response.ContentType !== entry.contentType) {
    return { kind: 'mismatched', reason: `content type ${JSON.stringify(response.ContentType ?? null)}, the manifest says ${JSON.stringify(entry.contentType)}`, ...facts };
  }
  if (entry.metadata !== undefined && !sameMetadata(entry.metadata, response.Metadata ?? {})) {
    return { kind: 'mismatched', reason: `user metadata ${JSON.stringify(response.Metadata ?? {})}, the manifest says ${JSON.stringify(entry.metadata)}`, ...facts };
  }
  return { kind: 'verified', ...facts };
}
