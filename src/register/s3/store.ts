/**
 * The evidence store in an S3 bucket: `<prefix>/<scenario-id>/<run-id>/<file>`, missed-run records under
 * `<prefix>/<scenario-id>/missed/`, run locks as in lock.ts. Bundles are verified from a local copy kept in
 * a cache folder (downloaded once; again when the bucket's listing of the bundle changes).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { isSafeSubjectName } from '../../evidence/bundle-files.js';
import { slugPattern } from '../../scenario/schema.js';
import type { BundleRef, EvidenceStore, MissedRun } from '../store.js';
import { httpStatus } from './client.js';
import { keyOf, type S3Location } from './location.js';
import type { S3RunLock } from './lock.js';
import { headObject, listObjects, readObject, type Listed } from './objects.js';

const missedFolder = 'missed';

/** An evidence store in S3, with what only a remote store has: its client, location and run lock. */
export interface S3EvidenceStore extends EvidenceStore {
  readonly kind: 's3';
  readonly s3: S3Location;
  readonly client: S3Client;
  readonly lock: S3RunLock;
}

function stampOf(iso: string): string {
  return iso.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/** A store on `location`; `cacheDir` keeps local copies of bundles for verification. */
export function createS3Store(location: S3Location, client: S3Client, lock: S3RunLock, cacheDir: string): S3EvidenceStore {
  const bundlePrefix = (ref: BundleRef) => `${keyOf(location, ref.scenarioId, ref.runId)}/`;
  // A key that is no safe bundle path is kept under a harmless name: verification then finds a file no
  // subject covers, so the bundle is invalid instead of the odd object being silently ignored.
  const safeName = (name: string) => (isSafeSubjectName(name) ? name : `unsafe-object-${createHash('sha256').update(name).digest('hex').slice(0, 12)}`);
  const listBundle = async (ref: BundleRef) =>
    (await listObjects(client, location.bucket, bundlePrefix(ref))).objects
      .map((o) => ({ ...o, name: safeName(o.key.slice(bundlePrefix(ref).length)) }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const childNames = async (prefix: string) =>
    (await listObjects(client, location.bucket, prefix, '/')).prefixes.map((p) => p.slice(prefix.length).replace(/\/$/, ''));

  return {
    kind: 's3',
    s3: location,
    client,
    lock,
    location: location.display,
    async listScenarioIds() {
      return (await childNames(location.prefix ? `${location.prefix}/` : '')).filter((name) => slugPattern.test(name)).sort();
    },
    async listBundles(scenarioId) {
      const names = await childNames(`${keyOf(location, scenarioId)}/`);
      return names
        .filter((name) => name !== missedFolder && name !== '')
        .sort()
        .map((runId) => ({ scenarioId, runId }));
    },
    readFile: (ref, name) => readObject(client, location.bucket, `${bundlePrefix(ref)}${name}`),
    async statFiles(ref) {
      return (await listBundle(ref)).map((o) => ({ name: o.name, bytes: o.size, changedMs: o.modifiedMs }));
    },
    async localBundleDir(ref) {
      const dir = join(cacheDir, ref.scenarioId, ref.runId);
      const sidecar = `${dir}.listing.json`;
      const objects: (Listed & { name: string })[] = await listBundle(ref);
      const listing = JSON.stringify(objects.map((o) => [o.name, o.size, o.etag]));
      const known = await readFile(sidecar, 'utf8').catch(() => undefined);
      if (known === listing) return dir;
      // The bucket's copy changed (or was never fetched): fetch it whole, exactly as it is there.
      await rm(dir, { recursive: true, force: true });
      for (const o of objects) {
        const bytes = await readObject(client, location.bucket, o.key);
        if (!bytes) continue;
        await mkdir(dirname(join(dir, o.name)), { recursive: true });
        await writeFile(join(dir, o.name), bytes);
      }
      await mkdir(dir, { recursive: true });
      await writeFile(sidecar, listing);
      return dir;
    },
    bundleLocation: (ref) => `${location.display}/${ref.scenarioId}/${ref.runId}`,
    async isLocked(scenarioId) {
      return (await lock.read(scenarioId)) !== undefined;
    },
    async listMissed(scenarioId) {
      const prefix = `${keyOf(location, scenarioId, missedFolder)}/`;
      const found: MissedRun[] = [];
      for (const o of (await listObjects(client, location.bucket, prefix)).objects) {
        const bytes = await readObject(client, location.bucket, o.key);
        try {
          if (bytes) found.push(JSON.parse(bytes.toString('utf8')) as MissedRun);
        } catch {
          // Missed-run records only add warnings: one that does not parse hides nothing that counts.
        }
      }
      return found.sort((a, b) => Date.parse(a.firstSlot) - Date.parse(b.firstSlot));
    },
    async recordMissed(missed) {
      const key = keyOf(location, missed.scenarioId, missedFolder, `${stampOf(missed.firstSlot)}.json`);
      // Some stores ignore If-None-Match on versioned buckets: look first, so a gap is written once.
      if (await headObject(client, location.bucket, key)) return false;
      const { PutObjectCommand } = await import('@aws-sdk/client-s3');
      const body = `${JSON.stringify(missed, null, 2)}\n`;
      try {
        await client.send(
          new PutObjectCommand({ Bucket: location.bucket, Key: key, Body: body, ContentType: 'application/json', ContentMD5: createHash('md5').update(body).digest('base64'), IfNoneMatch: '*' }),
        );
        return true;
      } catch (error) {
        if (httpStatus(error) === 412 || httpStatus(error) === 409) return false;
        throw error;
      }
    },
  };
}

/** The cache folder of a store location's bundle copies. */
export function s3CacheDir(base: string, location: S3Location): string {
  return join(base, 'drillbook', 's3', createHash('sha256').update(`${location.endpoint ?? 'aws'} ${location.display}`).digest('hex').slice(0, 16));
}

