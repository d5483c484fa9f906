/**
 * Uploading a sealed bundle to the S3 store, write-once: every file with its SHA-256 (object metadata) and
 * Content-MD5 (checked by the store on receipt), Object Lock retention when asked (else the bucket's
 * default applies), the record and its signatures last so that a bundle is complete once its record is
 * visible. A file already there with the same digest is skipped; one with another digest is never
 * overwritten. Only a bundle that verifies (integrity) is uploaded.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DrillbookError } from '../../errors.js';
import { bundleLayout, listBundleFiles } from '../../evidence/bundle-files.js';
import { verifyBundle } from '../../evidence/verify.js';
import type { BundleRef } from '../store.js';
import { httpStatus } from './client.js';
import { keyOf } from './location.js';
import { headObject } from './objects.js';
import type { S3EvidenceStore } from './store.js';

export const retentionModes = ['GOVERNANCE', 'COMPLIANCE'] as const;
export type RetentionMode = (typeof retentionModes)[number];

export interface PushOptions {
  /** Object Lock retention of every uploaded object; without it the bucket's default retention applies. */
  retention?: { mode: RetentionMode; days: number };
  nowMs?: number;
}

export interface PushResult {
  ref: BundleRef;
  uploaded: string[];
  skipped: string[];
  /** What the store says about record.json after the upload: its Object Lock mode and end of retention. */
  retention?: { mode: string; until: string };
}

async function digests(file: string): Promise<{ sha256: string; md5: string; bytes: number }> {
  const sha = createHash('sha256');
  const md5 = createHash('md5');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    sha.update(chunk as Buffer);
    md5.update(chunk as Buffer);
  }
  return { sha256: sha.digest('hex'), md5: md5.digest('base64'), bytes: (await stat(file)).size };
}

/** Record and signatures after every other file: readers see a bundle only once it is whole. */
function uploadOrder(files: readonly string[]): string[] {
  const rank = (name: string) => (name === bundleLayout.record ? 1 : name === bundleLayout.envelope ? 2 : name.startsWith(`${bundleLayout.signatures}/`) ? 3 : 0);
  return [...files].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/** Upload the bundle in `dir` to `store`. */
export async function pushBundle(store: S3EvidenceStore, dir: string, options: PushOptions = {}): Promise<PushResult> {
  const report = await verifyBundle(dir, { keys: [], threshold: 0 });
  const record = report.statement?.predicate;
  if (!report.ok || !record) {
    const first = report.firstFailure;
    throw new DrillbookError('VERIFICATION', `${dir} does not verify (${first ? `${first.title}: ${first.details[0] ?? ''}` : 'unreadable record'}): not uploaded`, {
      hint: `see drillbook verify ${dir}`,
    });
  }
  const ref: BundleRef = { scenarioId: record.scenario.id, runId: record.runId };
  const { PutObjectCommand } = await import('@aws-sdk/client-s3');
  const nowMs = options.nowMs ?? Date.now();
  const result: PushResult = { ref, uploaded: [], skipped: [] };
  const existing = new Set((await store.statFiles(ref)).map((f) => f.name));
  for (const name of uploadOrder((await listBundleFiles(dir)).files)) {
    const file = join(dir, name);
    const digest = await digests(file);
    const key = keyOf(store.s3, ref.scenarioId, ref.runId, name);
    if (existing.has(name)) {
      const head = await headObject(store.client, store.s3.bucket, key);
      if (head?.Metadata?.['sha256'] === digest.sha256) {
        result.skipped.push(name);
        continue;
      }
      throw new DrillbookError('EVIDENCE', `${store.bundleLocation(ref)}/${name} is already in the store with other content: evidence is never overwritten`, {
        hint: 'a bundle is uploaded once; sign-offs add new files under signatures/',
      });
    }
    try {
      await store.client.send(
        new PutObjectCommand({
          Bucket: store.s3.bucket,
          Key: key,
          Body: createReadStream(file),
          ContentLength: digest.bytes,
          ContentMD5: digest.md5,
          Metadata: { sha256: digest.sha256 },
          IfNoneMatch: '*',
          ...(options.retention && { ObjectLockMode: options.retention.mode, ObjectLockRetainUntilDate: new Date(nowMs + options.retention.days * 86_400_000) }),
        }),
      );
    } catch (error) {
      if (httpStatus(error) === 412) throw new DrillbookError('EVIDENCE', `${store.bundleLocation(ref)}/${name} appeared in the store during the upload: not overwritten`);
      throw new DrillbookError('EVIDENCE', `uploading ${name} to ${store.bundleLocation(ref)} failed: ${(error as Error).message}`, { cause: error, hint: `run drillbook store push ${dir} again: what is there already is skipped` });
    }
    result.uploaded.push(name);
  }
  const head = await headObject(store.client, store.s3.bucket, keyOf(store.s3, ref.scenarioId, ref.runId, bundleLayout.record));
  if (head?.ObjectLockMode && head.ObjectLockRetainUntilDate) result.retention = { mode: head.ObjectLockMode, until: head.ObjectLockRetainUntilDate.toISOString() };
  return result;
}
