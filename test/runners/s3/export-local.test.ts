import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3ExportRunner } from '../../../runners/s3/definition.js';
import { listSource } from '../../../runners/s3/export-list.js';
import { openS3Session } from '../../../runners/shared/s3/client.js';
import { useS3Lab } from '../../lab/use-heavy-servers.js';
import { createTestAttempt } from '../attempt-context.js';
import { attachedText, exportAttempt, factsOf, filesUnder, manifestOf, seed, sha256 } from './export-support.js';
import { createBucket, labClient, labSecrets, labTarget, printed } from './support.js';

const lab = useS3Lab();
const runner = await s3ExportRunner.load();
let client: S3Client;
let base: string;
const buckets: { remove(): Promise<void> }[] = [];

async function bucket(versioning = false): Promise<string> {
  const made = await createBucket(client, { versioning });
  buckets.push(made);
  return made.name;
}

/** Object keys that must stay data: each would escape, collide or break a naive key → path mapping. */
const hostile: Record<string, string> = {
  '../x': 'climbs one level',
  '..': 'parent itself',
  '/etc/passwd': 'root:x:0:0:not really',
  'a/../../b': 'climbs two levels',
  './': 'current folder',
  Case: 'upper first',
  case: 'lower',
  CASE: 'all upper',
  'caf\u00e9': 'composed é (NFC)',
  'cafe\u0301': 'decomposed é (NFD)',
  [`long/${'k'.repeat(1010)}`]: 'a key over 1,000 bytes',
  'with space': 'space',
  'new\nline': 'newline',
  '100%': 'percent',
  '%2F..%2Fescaped': 'encoded climb',
  'plus+sign': 'plus',
  'tab\there': 'tab',
  'uni-\u{1F600}-ü-中': 'unicode',
  empty: '',
  'same-1': 'the same body under two keys',
  'same-2': 'the same body under two keys',
};

describe('s3.export to a local folder', () => {
  beforeAll(() => {
    client = labClient(lab());
    base = mkdtempSync(join(tmpdir(), 'drillbook-export-'));
  });
  afterAll(async () => {
    rmSync(base, { recursive: true, force: true });
    await Promise.all(buckets.map((b) => b.remove()));
    client.destroy();
  });

  it('stores hostile keys by content: nothing outside the folder, no overwrite, every key in the manifest with its SHA-256', async () => {
    const name = await bucket();
    await seed(client, name, Object.fromEntries(Object.entries(hostile).map(([key, body]) => [`data/${key}`, body])), {
      ContentType: 'text/plain',
      Metadata: { origin: 'drill' },
    });
    const baseDir = mkdtempSync(join(base, 'hostile-'));
    const target = labTarget(lab(), name, { prefix: 'data/' });
    const attempt = exportAttempt(target, labSecrets(lab()), { baseDir, options: { to: { dir: 'export' } } });
    const observation = await runner.run(attempt.ctx);
    expect(observation.error).toBeUndefined();

    const bodies = Object.values(hostile);
    const unique = [...new Set(bodies)];
    // Only the export folder exists, and in it only bodies named by digest and the manifest.
    expect(filesUnder(baseDir)).toEqual(
      ['export/manifests/export.jsonl', ...unique.map((body) => `export/objects/${sha256(body).slice(0, 2)}/${sha256(body)}`)].sort(),
    );
    expect(readdirSync(join(baseDir, 'export', 'tmp'))).toEqual([]);

    const onDisk = readFileSync(join(baseDir, 'export', 'manifests', 'export.jsonl'), 'utf8');
    const entries = manifestOf(onDisk);
    expect(entries.map((e) => e.key)).toEqual(Object.keys(hostile).sort((a, b) => (a < b ? -1 : 1)));
    for (const entry of entries) {
      const body = hostile[entry.key] ?? '?';
      expect(entry).toMatchObject({ size: Buffer.byteLength(body), sha256: sha256(body), contentType: 'text/plain', metadata: { origin: 'drill' } });
      expect(entry.file).toBe(`objects/${sha256(body).slice(0, 2)}/${sha256(body)}`);
      expect(readFileSync(join(baseDir, 'export', entry.file ?? '?'), 'utf8')).toBe(body);
      expect(entry.etag).toBe(createHashMd5(body));
    }
    expect(entries.find((e) => e.key === 'same-1')?.file).toBe(entries.find((e) => e.key === 'same-2')?.file);
    expect(entries.find((e) => e.key === 'empty')).toMatchObject({ size: 0, format: 'empty' });

    // The attachment is the manifest as kept on disk; its digest is in the facts.
    expect(attachedText(attempt, 'manifest.jsonl')).toBe(onDisk);
    const facts = factsOf(observation.details);
    const total = bodies.reduce((sum, body) => sum + Buffer.byteLength(body), 0);
    expect(facts).toMatchObject({
      kind: 'export',
      source: `s3://${name}/data/`,
      destination: 'export',
      versions: false,
      listed: { objects: bodies.length, bytes: total },
      exported: { objects: bodies.length, bytes: total },
      resumed: { objects: 0, bytes: 0 },
      transferred: { bytes: total },
      reconciliation: {
        listedAtEnd: { objects: bodies.length, bytes: total },
        missing: { count: 0, keys: [] },
        extra: { count: 0, keys: [] },
        changed: { count: 0, keys: [] },
        corrupted: { count: 0, keys: [] },
        failed: { count: 0, keys: [] },
        vanished: { count: 0, keys: [] },
      },
      destinationVerified: true,
      metadata: { fields: ['key', 'size', 'etag', 'sha256', 'lastModified', 'contentType', 'metadata', 'format'], withoutContentType: 0 },
      manifest: { attachment: 'manifest.jsonl', entries: bodies.length, sha256: sha256(onDisk) },
    });
    expect(facts.formats['empty']).toEqual({ objects: 1, bytes: 0, examples: ['empty'] });
    expect(JSON.parse(attachedText(attempt, 'reconciliation.json'))).toMatchObject({ missing: [], extra: [], changed: [], corrupted: [], failed: [] });
    expect(printed(attempt)).toMatchObject({
      source: `s3://${name}/data/`,
      destination: 'export',
      objects: bodies.length,
      bytes: total,
      copied: { objects: bodies.length, bytes: total },
      resumed: { objects: 0, bytes: 0 },
      listed: { objects: bodies.length, bytes: total },
      reconciliation: { missing: 0, extra: 0, changed: 0, corrupted: 0, failed: 0 },
      destinationVerified: true,
      manifest: { entries: bodies.length, sha256: sha256(onDisk) },
    });
    expect(observation.details).toMatchObject({ target: 'store', bucket: name, retries: 0 });

    // A second attempt finds every copy in place and reads nothing from the source.
    const again = exportAttempt(target, labSecrets(lab()), { baseDir, options: { to: { dir: 'export' } } });
    const second = await runner.run(again.ctx);
    expect(second.error).toBeUndefined();
    expect(factsOf(second.details)).toMatchObject({ resumed: { objects: bodies.length, bytes: total }, transferred: { bytes: 0 }, exported: { objects: bodies.length } });
    expect(attachedText(again, 'manifest.jsonl')).toBe(onDisk);
  });

  it('exports every version with versions: true; delete markers are counted, not exported', async () => {
    const name = await bucket(true);
    const versions: string[] = [];
    for (const body of ['v1', 'v2 longer', 'v3 longest']) {
      const put = await client.send(new PutObjectCommand({ Bucket: name, Key: 'doc.txt', Body: body }));
      versions.push(put.VersionId ?? '?');
    }
    const gone = await client.send(new PutObjectCommand({ Bucket: name, Key: 'gone.txt', Body: 'deleted later' }));
    await client.send(new DeleteObjectCommand({ Bucket: name, Key: 'gone.txt' }));
    const baseDir = mkdtempSync(join(base, 'versions-'));
    const attempt = exportAttempt(labTarget(lab(), name), labSecrets(lab()), { baseDir, options: { to: { dir: 'out' }, versions: true } });
    const observation = await runner.run(attempt.ctx);
    expect(observation.error).toBeUndefined();
    const entries = manifestOf(attachedText(attempt, 'manifest.jsonl'));
    const expected = [
      { key: 'doc.txt', versionId: versions[0], sha256: sha256('v1'), isLatest: false },
      { key: 'doc.txt', versionId: versions[1], sha256: sha256('v2 longer'), isLatest: false },
      { key: 'doc.txt', versionId: versions[2], sha256: sha256('v3 longest'), isLatest: true },
      { key: 'gone.txt', versionId: gone.VersionId, sha256: sha256('deleted later'), isLatest: false },
    ].sort((a, b) => (a.key !== b.key ? (a.key < b.key ? -1 : 1) : (a.versionId ?? '') < (b.versionId ?? '') ? -1 : 1));
    expect(entries.map(({ key, versionId, sha256: digest, isLatest }) => ({ key, versionId, sha256: digest, isLatest }))).toEqual(expected);
    expect(observation.details).toMatchObject({ deleteMarkers: 1 });
    expect(factsOf(observation.details)).toMatchObject({ versions: true, listed: { objects: 4 }, exported: { objects: 4 }, destinationVerified: true });
  });

  it('lists page by page with keys the URL encoding must carry (versions and latest)', async () => {
    const name = await bucket(true);
    const keys = ['a b', 'a+b', 'a%20b', '100%', 'x\ny', 'é', 'z'];
    await seed(client, name, Object.fromEntries(keys.map((key) => [key, key])));
    await seed(client, name, { 'a b': 'second version' });
    const attempt = createTestAttempt({ target: labTarget(lab(), name) });
    attempt.ctx.secret = (secret) => labSecrets(lab())[secret];
    const session = openS3Session(attempt.ctx, 's3.export');
    try {
      for (const versions of [false, true]) {
        const paged = await listSource(session, '', versions, attempt.controller.signal, 2);
        const whole = await listSource(session, '', versions, attempt.controller.signal);
        expect(paged.objects).toEqual(whole.objects);
        expect(paged.objects.map((o) => o.key).sort()).toEqual((versions ? [...keys, 'a b'] : keys).sort());
        expect(paged.pages).toBe(versions ? 4 : 4);
      }
    } finally {
      session.close();
    }
  });
});

function createHashMd5(body: string): string {
  return createHash('md5').update(body).digest('hex');
}
