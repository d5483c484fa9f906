/**
 * Putting one exported body on the destination. The body file is found by its digest (never by a path
 * a manifest line names) and hashed before anything is sent: a missing or damaged body is never
 * uploaded, since the neutral target may keep what it receives (Object Lock). The upload hashes again
 * while it streams; a body that changed in between is removed from the destination again.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { S3Session } from '../shared/s3/client.js';
import { StepError } from '../shared/step-error.js';
import { HashTap } from './hash-tap.js';
import { contentPath } from './import-manifest.js';
import type { PlannedObject } from './import-plan.js';

/** Multipart part size; one part in flight per object, so memory stays about concurrency × this. */
export const importPartBytes = 8 * 1024 * 1024;
const readChunkBytes = 1024 * 1024;

export type UploadOutcome =
  | { kind: 'uploaded'; versionId?: string }
  /** The local body is missing or not the manifest's: nothing (or nothing lasting) was uploaded. */
  | { kind: 'rejected'; reason: string };

async function hashFile(path: string, signal: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: readChunkBytes, signal })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Why the body file of `object` cannot be uploaded, or undefined when it is the manifest's. */
async function checkBody(root: string, object: PlannedObject, signal: AbortSignal): Promise<string | undefined> {
  const { entry } = object;
  const file = contentPath(entry.sha256);
  // The layout is content-addressed: a line naming another file is inconsistent, whatever that file holds.
  if (entry.file !== undefined && entry.file !== file) return `the manifest names body file ${JSON.stringify(entry.file)}, expected ${file}`;
  const path = join(root, file);
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) return `body file ${file} is missing`;
  if (info.size !== entry.size) return `body file ${file} holds ${info.size} bytes, the manifest says ${entry.size}`;
  const sha256 = await hashFile(path, signal);
  if (sha256 !== entry.sha256) return `body file ${file} has SHA-256 ${sha256}, the manifest says ${entry.sha256}`;
  return undefined;
}

/** Upload `object` from the export folder `root` to the session's bucket. Throws S3 errors (after the SDK's retries). */
export async function uploadObject(session: S3Session, root: string, object: PlannedObject, signal: AbortSignal): Promise<UploadOutcome> {
  const problem = await checkBody(root, object, signal);
  if (problem) return { kind: 'rejected', reason: problem };
  const { entry, destinationKey } = object;
  const tap = new HashTap();
  // pipeline: a read error destroys the tap, which fails the upload instead of leaving it waiting.
  const body = pipeline(createReadStream(join(root, contentPath(entry.sha256)), { highWaterMark: readChunkBytes }), tap, () => undefined);
  const upload = new Upload({
    client: session.client,
    params: {
      Bucket: session.target.bucket,
      Key: destinationKey,
      Body: body,
      ...(entry.contentType === undefined ? {} : { ContentType: entry.contentType }),
      ...(entry.metadata === undefined ? {} : { Metadata: entry.metadata }),
    },
    partSize: importPartBytes,
    queueSize: 1,
    leavePartsOnError: false,
  });
  const stop = (): void => void upload.abort().catch(() => undefined);
  signal.addEventListener('abort', stop, { once: true });
  try {
    if (signal.aborted) throw new StepError('CANCELLED', `${destinationKey} was not uploaded: the step was stopped`);
    const done = await upload.done();
    const versionId = done.VersionId;
    if (tap.digest() !== entry.sha256 || tap.bytes !== entry.size) {
      const removed = await session.client
        .send(new DeleteObjectCommand({ Bucket: session.target.bucket, Key: destinationKey, ...(versionId ? { VersionId: versionId } : {}) }))
        .then(() => 'was removed', () => 'could not be removed');
      return { kind: 'rejected', reason: `body file ${contentPath(entry.sha256)} changed while it was uploaded (${tap.bytes} bytes, SHA-256 ${tap.digest()}); the uploaded copy ${removed}` };
    }
    return versionId === undefined ? { kind: 'uploaded' } : { kind: 'uploaded', versionId };
  } finally {
    signal.removeEventListener('abort', stop);
    body.destroy();
  }
}
