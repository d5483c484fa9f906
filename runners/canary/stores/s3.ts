/**
 * The newest marker as one S3 object, overwritten at each interval (a replica bucket shows how far it
 * got). Written with its MD5 (the store checks what it receives); read through the integrity check every
 * download passes (verified-get.ts), so a marker damaged on the way is read again, never taken for
 * another time.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { AttemptClock } from '../../../src/runner-contract.js';
import type { S3Session } from '../../shared/s3/client.js';
import { isNotFound } from '../../shared/s3/errors.js';
import { fullKey } from '../../shared/s3/target.js';
import { getVerified, type BodySink } from '../../shared/s3/verified-get.js';
import { parseMarker } from '../marker.js';
import type { MarkerStore, NewestMarker } from './store.js';

/** The marker's bytes, kept in memory (a marker is a few hundred bytes). */
class MemorySink implements BodySink {
  chunks: Buffer[] = [];
  write(chunk: Buffer): void {
    this.chunks.push(chunk);
  }
  discard(): Promise<void> {
    this.chunks = [];
    return Promise.resolve();
  }
}

/**
 * Waits between resumes of a cut body. The store is opened without the attempt's clock (open-store.ts
 * passes none), and a marker read is too short for a simulated clock to matter.
 */
const systemClock: AttemptClock = {
  now: () => performance.now(),
  sleep: async (ms, signal) => {
    await sleep(ms, undefined, { signal });
  },
};

export function createS3Store(session: S3Session, key: string, clock: AttemptClock = systemClock): MarkerStore {
  const { client, target } = session;
  const objectKey = fullKey(target, key);
  return {
    describe: `s3://${target.bucket}/${objectKey}`,
    prepare: () => Promise.resolve(),
    async write(marker, signal) {
      const body = JSON.stringify(marker);
      await client.send(
        new PutObjectCommand({ Bucket: target.bucket, Key: objectKey, Body: body, ContentType: 'application/json', ContentMD5: createHash('md5').update(body).digest('base64') }),
        { abortSignal: signal },
      );
    },
    async newest(signal): Promise<NewestMarker | undefined> {
      let text: string;
      let lastModified: Date | undefined;
      try {
        const got = await getVerified(session, { key: objectKey, signal, clock, open: () => Promise.resolve(new MemorySink()) });
        text = Buffer.concat(got.sink.chunks).toString('utf8');
        lastModified = got.response.LastModified;
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
      const marker = parseMarker(text);
      if (!marker) return undefined;
      // LastModified has a resolution of one second on most stores.
      const offset = lastModified ? lastModified.getTime() - Date.parse(marker.writtenAt) : undefined;
      return { marker, count: 1, ...(offset === undefined ? {} : { storeClockOffsetMs: offset }) };
    },
    close: () => Promise.resolve(session.close()),
  };
}
