/**
 * A run lock across machines: `<prefix>/<scenario-id>/run.lock` created with a conditional write
 * (`If-None-Match: *`), which the store accepts for one writer only; the others get 412 and read who holds
 * it. Released by its holder (checked by token) when the run has ended and its bundle is uploaded.
 *
 * Not every store honours conditional writes everywhere (Ceph radosgw before Reef ignores them on versioned
 * buckets, and Object Lock buckets are versioned), so the first use in a process proves it on a probe key
 * and refuses to lock with a store that would let two writers in. A lock left by a machine that died stays
 * until removed (`drillbook store unlock`): another machine cannot tell a dead holder from a slow one.
 */
import { randomBytes } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { DrillbookError } from '../../errors.js';
import { httpStatus } from './client.js';
import { keyOf, type S3Location } from './location.js';
import { readObject } from './objects.js';

export interface LockHolder {
  scenarioId: string;
  /** Random per acquisition: only the holder releases. */
  token: string;
  host: string;
  pid: number;
  startedAt: string;
}

export interface S3RunLock {
  acquire(holder: LockHolder): Promise<{ ok: true } | { ok: false; holder?: LockHolder }>;
  /** Release if `token` still holds it. */
  release(scenarioId: string, token: string): Promise<void>;
  read(scenarioId: string): Promise<LockHolder | undefined>;
  /** Remove whoever holds it (an operator's decision); returns the former holder. */
  remove(scenarioId: string): Promise<LockHolder | undefined>;
}

const refused = (error: unknown) => httpStatus(error) === 412 || httpStatus(error) === 409;

export function newLockToken(): string {
  return randomBytes(12).toString('hex');
}

export function createS3RunLock(location: S3Location, client: S3Client): S3RunLock {
  const bucket = location.lockBucket;
  const key = (scenarioId: string) => keyOf(location, scenarioId, 'run.lock');
  let proven: Promise<void> | undefined;

  const putIfAbsent = async (objectKey: string, body: string): Promise<boolean> => {
    const { PutObjectCommand } = await import('@aws-sdk/client-s3');
    try {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: objectKey, Body: body, ContentType: 'application/json', IfNoneMatch: '*' }));
      return true;
    } catch (error) {
      if (refused(error)) return false;
      throw error;
    }
  };
  const remove = async (objectKey: string) => {
    const { DeleteObjectCommand } = await import('@aws-sdk/client-s3');
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: objectKey }));
  };

  /** Write a probe key twice: the second write must be refused, else this bucket cannot lock. */
  const proveConditionalWrites = () => {
    proven ??= (async () => {
      const probe = keyOf(location, '.lock-probe', newLockToken());
      try {
        const first = await putIfAbsent(probe, '{}');
        const second = await putIfAbsent(probe, '{}');
        if (!first || second) {
          throw new DrillbookError('USAGE', `s3://${bucket} ignores conditional writes (If-None-Match), so it cannot hold a run lock: two machines could run one scenario at once`, {
            hint: 'Ceph radosgw before Reef ignores them on versioned (Object Lock) buckets: add ?lock-bucket=NAME to --store, naming an unversioned bucket for the locks',
          });
        }
      } finally {
        await remove(probe).catch(() => undefined);
      }
    })();
    return proven;
  };

  const read = async (scenarioId: string): Promise<LockHolder | undefined> => {
    const bytes = await readObject(client, bucket, key(scenarioId));
    if (!bytes) return undefined;
    try {
      return JSON.parse(bytes.toString('utf8')) as LockHolder;
    } catch {
      // Held, by something that wrote no readable holder: still held.
      return { scenarioId, token: '', host: 'unknown', pid: 0, startedAt: '' };
    }
  };

  return {
    async acquire(holder) {
      await proveConditionalWrites();
      if (await putIfAbsent(key(holder.scenarioId), `${JSON.stringify(holder)}\n`)) return { ok: true };
      const current = await read(holder.scenarioId);
      return current ? { ok: false, holder: current } : { ok: false };
    },
    async release(scenarioId, token) {
      const current = await read(scenarioId);
      if (current?.token === token) await remove(key(scenarioId));
    },
    read,
    async remove(scenarioId) {
      const current = await read(scenarioId);
      if (current) await remove(key(scenarioId));
      return current;
    },
  };
}
