/**
 * An s3 destination (the new provider): each body streamed into lib-storage's Upload under the
 * destination prefix + its key, with its content type, user metadata and content headers. Upload keeps
 * one part in flight per object (memory: about concurrency × part size). Keys are data here, so the only
 * refusal is a key S3 cannot hold (over 1,024 bytes). Versions of one key are copied oldest first by the
 * runner and need a versioned destination: each keeps the version id the destination gave it.
 */
import { dirname } from 'node:path';
import { PassThrough } from 'node:stream';
import { DeleteObjectCommand, GetBucketVersioningCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { AttemptClock } from '../../src/runner-contract.js';
import type { S3Session } from '../shared/s3/client.js';
import { describeMismatches } from '../shared/s3/integrity.js';
import { getVerified, IntegrityError, type BodySink } from '../shared/s3/verified-get.js';
import { isAbort, isNotFound, describeS3Error } from '../shared/s3/errors.js';
import { makeSafeFolder } from '../shared/safe-files.js';
import { StepError } from '../shared/step-error.js';
import type { ExportStore, OpenCopy } from './export-copy.js';
import type { ExportEntry } from './export-manifest.js';
import { streamChunkBytes } from './export-tap.js';

/** The longest key S3 accepts, in UTF-8 bytes. */
export const maxKeyBytes = 1024;

export interface S3StoreOptions {
  session: S3Session;
  /** `to.prefix`, under the destination target's own prefix. */
  prefix: string;
  /** Absolute path of the local manifest (`to.state`). */
  manifestPath: string;
  /** The scenario's folder (the manifest's folder is checked from there on). */
  baseDir: string;
  /** Paths the manifest must not be written into (the run's bundle, the scenario file). */
  protect?: readonly string[] | undefined;
  partSizeBytes: number;
  versions: boolean;
  signal: AbortSignal;
  clock: AttemptClock;
}

/** A read-back only hashes: nothing is kept. */
const hashOnly: BodySink = { write: () => undefined, discard: () => Promise.resolve() };

export async function openS3Store(options: S3StoreOptions): Promise<ExportStore> {
  const { session } = options;
  const { client, target } = session;
  const base = target.prefix + options.prefix;
  const destinationKey = (key: string): string => base + key;
  if (options.versions) {
    const versioning = await client.send(new GetBucketVersioningCommand({ Bucket: target.bucket }), { abortSignal: options.signal });
    if (versioning.Status !== 'Enabled') {
      throw new StepError('S3_DESTINATION_NOT_VERSIONED', `exporting versions needs versioning on the destination s3://${target.bucket}, which is ${versioning.Status ?? 'not enabled'}`);
    }
  }
  makeSafeFolder(dirname(options.manifestPath), options.baseDir, { protect: options.protect });
  const version = (entry: ExportEntry): { VersionId?: string } => (entry.destinationVersionId === undefined ? {} : { VersionId: entry.destinationVersionId });

  return {
    address: `s3://${target.bucket}/${base}`,
    manifestPath: options.manifestPath,
    refuse(key) {
      const bytes = Buffer.byteLength(destinationKey(key));
      return bytes > maxKeyBytes ? `the destination key would be ${bytes} bytes long; S3 keys hold at most ${maxKeyBytes}` : undefined;
    },
    open(object, info, signal): Promise<OpenCopy> {
      const key = destinationKey(object.key);
      const body = new PassThrough({ highWaterMark: streamChunkBytes });
      const upload = new Upload({
        client,
        params: {
          Bucket: target.bucket,
          Key: key,
          Body: body,
          ...(info.contentType === undefined ? {} : { ContentType: info.contentType }),
          Metadata: info.metadata,
          ...info.headers,
        },
        partSize: options.partSizeBytes,
        queueSize: 1,
        leavePartsOnError: false,
      });
      const stop = (): void => void upload.abort().catch(() => undefined);
      signal.addEventListener('abort', stop, { once: true });
      const done = upload.done();
      // An upload that fails stops reading: end the stream too, or the copy would wait on it forever.
      void done.then(
        () => signal.removeEventListener('abort', stop),
        (error: unknown) => {
          signal.removeEventListener('abort', stop);
          body.destroy(error instanceof Error ? error : new Error(String(error)));
        },
      );
      return Promise.resolve({
        sink: body,
        async keep() {
          const result = await done;
          return { destinationKey: key, ...(result.VersionId === undefined ? {} : { destinationVersionId: result.VersionId }) };
        },
        async discard() {
          body.destroy();
          const result = await done.catch(() => undefined);
          // Completed before the body was judged: remove exactly what was written.
          if (result) await client.send(new DeleteObjectCommand({ Bucket: target.bucket, Key: key, ...(result.VersionId === undefined ? {} : { VersionId: result.VersionId }) })).catch(() => undefined);
        },
      });
    },
    async holds(entry, signal) {
      if (entry.destinationKey !== destinationKey(entry.key)) return false;
      try {
        const head = await client.send(new HeadObjectCommand({ Bucket: target.bucket, Key: entry.destinationKey, ...version(entry) }), { abortSignal: signal });
        return head.ContentLength === entry.size;
      } catch (error) {
        if (isAbort(error, signal)) throw error;
        // Not there, or not provable: copy it again.
        return false;
      }
    },
    async check(entry, signal) {
      const key = entry.destinationKey ?? destinationKey(entry.key);
      try {
        // The manifest's size and SHA-256, and the destination's own ETag and checksums; read once more if they fail.
        await getVerified(session, {
          key,
          versionId: entry.destinationVersionId,
          listed: { size: entry.size, etag: '' },
          expectedSha256: entry.sha256,
          signal,
          clock: options.clock,
          open: () => Promise.resolve(hashOnly),
        });
        return undefined;
      } catch (error) {
        if (isAbort(error, signal)) throw error;
        if (isNotFound(error)) return `the destination has no ${key}`;
        if (error instanceof IntegrityError) {
          const { bytes, sha256 } = error.integrity;
          if (error.code === 'S3_DIGEST_MISMATCH') return `the destination's copy holds ${bytes} bytes with SHA-256 ${sha256}, expected ${entry.size} bytes with ${entry.sha256}`;
          return `the destination's copy read back fails its checks on ${error.retries.length + 1} reads: ${describeMismatches(error.integrity.mismatches)}`;
        }
        return `the destination's copy could not be read back: ${describeS3Error(error, 's3.export', key).message}`;
      }
    },
  };
}
