/** The newest marker as one S3 object, overwritten at each interval (a replica bucket shows how far it got). */
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Session } from '../../shared/s3/client.js';
import { isNotFound } from '../../shared/s3/errors.js';
import { fullKey } from '../../shared/s3/target.js';
import { parseMarker } from '../marker.js';
import type { MarkerStore, NewestMarker } from './store.js';

export function createS3Store(session: S3Session, key: string): MarkerStore {
  const { client, target } = session;
  const objectKey = fullKey(target, key);
  return {
    describe: `s3://${target.bucket}/${objectKey}`,
    prepare: () => Promise.resolve(),
    async write(marker, signal) {
      await client.send(
        new PutObjectCommand({ Bucket: target.bucket, Key: objectKey, Body: JSON.stringify(marker), ContentType: 'application/json' }),
        { abortSignal: signal },
      );
    },
    async newest(signal): Promise<NewestMarker | undefined> {
      let text: string;
      let lastModified: Date | undefined;
      try {
        const got = await client.send(new GetObjectCommand({ Bucket: target.bucket, Key: objectKey }), { abortSignal: signal });
        text = (await got.Body?.transformToString('utf8')) ?? '';
        lastModified = got.LastModified;
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
