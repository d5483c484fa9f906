/**
 * `s3.import` against the run's radosgw: export folders are written by hand in the layout `s3.export`
 * writes (manifests/<step>.jsonl, bodies stored by SHA-256), then imported into a fresh bucket.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { s3ImportRunner } from '../../../runners/s3/definition.js';
import { checkCopy } from '../../../runners/s3/import-verify.js';
import { openS3Session } from '../../../runners/shared/s3/client.js';
import { listObjects } from '../../../runners/shared/s3/list-objects.js';
import type { ManifestEntry, ReimportFacts } from '../../../src/exit-readiness/facts.js';
import { useS3Lab } from '../../lab/use-heavy-servers.js';
import { startFaultProxy } from './fault-proxy.js';
import { createBucket, labClient, labSecrets, labTarget, printed, s3Attempt } from './support.js';

const lab = useS3Lab();
const runner = await s3ImportRunner.load();
const scratch = mkdtempSync(join(tmpdir(), 'drillbook-s3-import-'));
let client: S3Client;
let bucket: Awaited<ReturnType<typeof createBucket>>;
let exportDir: string;
let cases = 0;

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const bodyPath = (data: Buffer): string => `objects/${sha256(data).slice(0, 2)}/${sha256(data)}`;

/** A manifest line as `s3.export` writes it for a local folder. */
function entryOf(key: string, body: Buffer, extra: Partial<ManifestEntry> = {}): ManifestEntry {
  return {
    key,
    size: body.length,
    etag: createHash('md5').update(body).digest('hex'),
    sha256: sha256(body),
    lastModified: '2025-01-02T03:04:05.000Z',
    format: 'binary',
    file: bodyPath(body),
    ...extra,
  };
}

/** Write the bodies (by content) and the manifest `name` into the current export folder. */
function writeExport(name: string, items: readonly (readonly [ManifestEntry, Buffer | undefined])[], tail = ''): void {
  for (const [, body] of items) {
    if (!body) continue;
    const path = join(exportDir, bodyPath(body));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, body);
  }
  mkdirSync(join(exportDir, 'manifests'), { recursive: true });
  writeFileSync(join(exportDir, 'manifests', `${name}.jsonl`), items.map(([entry]) => `${JSON.stringify(entry)}\n`).join('') + tail);
}

async function bodyOf(key: string): Promise<Buffer> {
  const got = await client.send(new GetObjectCommand({ Bucket: bucket.name, Key: key }));
  return Buffer.from(await got.Body?.transformToByteArray() ?? []);
}

async function keysIn(prefix = ''): Promise<string[]> {
  const page = await client.send(new ListObjectsV2Command({ Bucket: bucket.name, Prefix: prefix, EncodingType: 'url' }));
  return (page.Contents ?? []).map((item) => decodeURIComponent((item.Key ?? '').replace(/\+/g, ' '))).sort();
}

/** An attempt on the lab bucket whose attachments are kept in memory. */
function importAttempt(options: Record<string, unknown>, targetExtra: Record<string, unknown> = {}) {
  const attempt = s3Attempt(labTarget(lab(), bucket.name, targetExtra), labSecrets(lab()), { baseDir: scratch, options });
  const attachments = new Map<string, Buffer[]>();
  attempt.ctx.attach = (name) => {
    const chunks: Buffer[] = [];
    attachments.set(name, chunks);
    return new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(Buffer.from(chunk));
        done();
      },
    });
  };
  const attached = (name: string): Record<string, unknown>[] =>
    Buffer.concat(attachments.get(name) ?? []).toString('utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
  return { ...attempt, attached };
}

beforeAll(() => {
  client = labClient(lab());
});
afterAll(() => {
  client.destroy();
  rmSync(scratch, { recursive: true, force: true });
});
beforeEach(async () => {
  cases += 1;
  exportDir = join(scratch, `export-${cases}`);
  bucket = await createBucket(client, { versioning: true });
});
afterEach(async () => {
  await bucket.remove();
});

describe('s3.import', () => {
  it('puts every latest entry (hostile, unicode and spaced keys, shared bodies, multipart) into a fresh bucket and proves each there', async () => {
    const shared = Buffer.from('same body under two keys\n');
    const large = randomBytes(9 * 1024 * 1024 + 17);
    const oldVersion = Buffer.from('version 1\n');
    const newVersion = Buffer.from('version 2, the latest\n');
    const items: [ManifestEntry, Buffer][] = [
      [entryOf('../x', Buffer.from('escapes nothing: keys are data\n')), Buffer.from('escapes nothing: keys are data\n')],
      [entryOf('a/../../etc/passwd', Buffer.from('root:x:0:0\n')), Buffer.from('root:x:0:0\n')],
      [entryOf('données/日本 語/ü ñ.txt', Buffer.from('unicode\n'), { contentType: 'text/plain; charset=utf-8' }), Buffer.from('unicode\n')],
      [entryOf('with space & plus+sign.csv', Buffer.from('a,b\n1,2\n'), { contentType: 'text/csv', metadata: { owner: 'finance', 'source-system': 'erp' }, format: 'csv' }), Buffer.from('a,b\n1,2\n')],
      [entryOf('shared/one', shared), shared],
      [entryOf('shared/two', shared), shared],
      [entryOf('empty', Buffer.alloc(0)), Buffer.alloc(0)],
      [entryOf('big/archive.bin', large), large],
      [entryOf('versioned.txt', oldVersion, { versionId: 'v1', isLatest: false }), oldVersion],
      [entryOf('versioned.txt', newVersion, { versionId: 'v2', isLatest: true }), newVersion],
    ];
    writeExport('export-docs', items);
    const attempt = importAttempt({ from: `export-${cases}`, prefix: 'restore/', concurrency: 3 }, { prefix: 'neutral/' });
    const observation = await runner.run(attempt.ctx);
    expect(observation.error).toBeUndefined();

    const latest = items.filter(([entry]) => entry.isLatest !== false);
    const bytes = latest.reduce((sum, [entry]) => sum + entry.size, 0);
    const facts = observation.details?.['exit'] as ReimportFacts;
    expect(facts).toEqual({
      kind: 'reimport',
      destination: `s3://${bucket.name}/neutral/restore/`,
      expected: { objects: 9, bytes },
      imported: { objects: 9, bytes },
      verified: { objects: 9, bytes },
      missing: { count: 0, keys: [] },
      mismatched: { count: 0, keys: [] },
      durationMs: facts.durationMs,
    });
    expect(await keysIn()).toEqual(latest.map(([entry]) => `neutral/restore/${entry.key}`).sort());
    for (const [entry, body] of latest) expect(sha256(await bodyOf(`neutral/restore/${entry.key}`)), entry.key).toBe(sha256(body));
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket.name, Key: 'neutral/restore/with space & plus+sign.csv' }));
    expect([head.ContentType, head.Metadata]).toEqual(['text/csv', { owner: 'finance', 'source-system': 'erp' }]);
    // A multipart upload's ETag ends with its part count: 9 MiB in 8 MiB parts is 2.
    expect((await client.send(new HeadObjectCommand({ Bucket: bucket.name, Key: 'neutral/restore/big/archive.bin' }))).ETag).toMatch(/-2"$/);

    expect(printed(attempt)).toMatchObject({
      from: `export-${cases}`,
      manifests: ['export-docs'],
      tornManifests: [],
      unexpected: { count: 0, keys: [] },
      gaps: [],
      attachment: 'reimport.jsonl',
    });
    const lines = attempt.attached('reimport.jsonl');
    expect(lines.map((line) => [line['key'], line['status'], line['uploaded']])).toEqual(latest.map(([entry]) => [entry.key, 'verified', true]).sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1)));
    expect(lines.find((line) => line['key'] === 'versioned.txt')).toMatchObject({ destinationKey: 'neutral/restore/versioned.txt', sha256: sha256(newVersion) });
    // Every read-back checked against the destination's own facts as well as the manifest's digest.
    expect(observation.details?.['integrity']).toEqual({
      objects: 9,
      verified: 9,
      sizeCheckedOnly: 0,
      mismatched: 0,
      retried: 0,
      checked: ['size', 'md5-etag', 'multipart-etag', 'expected-sha256'],
    });
    expect(lines.find((line) => line['key'] === 'big/archive.bin')).toMatchObject({
      integrity: { checked: ['size', 'multipart-etag', 'expected-sha256'], result: 'verified', partSizes: { source: 'inferred', parts: 2, partBytes: 8 * 1024 * 1024 } },
    });
  });

  it('a copy damaged on its way back is read again; damaged on every read, it is mismatched with the destination’s facts', async () => {
    const once = Buffer.from('flipped on the first read back only\n');
    const always = Buffer.from('flipped on every read back\n');
    writeExport('export-a', [
      [entryOf('once.txt', once), once],
      [entryOf('always.txt', always), always],
    ]);
    const proxy = await startFaultProxy(lab().endpoint);
    try {
      proxy.inject({ fault: 'flip-byte', times: 1, match: (r) => r.method === 'GET' && r.key === 'once.txt' });
      proxy.inject({ fault: 'flip-byte', match: (r) => r.method === 'GET' && r.key === 'always.txt' });
      const attempt = importAttempt({ from: `export-${cases}` }, { endpoint: proxy.endpoint });
      const observation = await runner.run(attempt.ctx);
      const damaged = Buffer.from(always);
      damaged[Math.floor(always.length / 2)] = (damaged[Math.floor(always.length / 2)] ?? 0) ^ 0xff;
      const md5 = (data: Buffer): string => createHash('md5').update(data).digest('hex');
      const reason = `the copy read back fails the destination's own facts on 2 reads: md5-etag: expected ${md5(always)}, got ${md5(damaged)}; expected-sha256: expected ${sha256(always)}, got ${sha256(damaged)}`;
      expect(observation.error).toEqual({
        code: 'REIMPORT_MISMATCH',
        message: `s3.import: 1 of 2 objects not proven on s3://${bucket.name}/: 0 missing, 1 mismatched; first: "always.txt" mismatched (${reason})`,
      });
      expect(observation.details?.['integrity']).toEqual({ objects: 2, verified: 1, sizeCheckedOnly: 0, mismatched: 1, retried: 2, checked: ['size', 'md5-etag', 'expected-sha256'] });
      const lines = attempt.attached('reimport.jsonl');
      expect(lines.find((line) => line['key'] === 'once.txt')).toMatchObject({
        status: 'verified',
        integrity: { checked: ['size', 'md5-etag', 'expected-sha256'], result: 'verified' },
        integrityRetries: [{ mismatches: [{ fact: 'md5-etag', expected: md5(once) }, { fact: 'expected-sha256', expected: sha256(once) }] }],
      });
      expect(lines.find((line) => line['key'] === 'always.txt')).toMatchObject({ status: 'mismatched', reason, integrity: { result: 'mismatch' } });
    } finally {
      await proxy.close();
    }
  });

  it('a tampered or missing body is mismatched and never uploaded; the step fails with REIMPORT_MISMATCH', async () => {
    const good = Buffer.from('good body\n');
    const original = Buffer.from('the body the export hashed\n');
    const absent = Buffer.from('a body nobody stored\n');
    writeExport('export-a', [
      [entryOf('good.txt', good), good],
      [entryOf('tampered.txt', original), original],
      [entryOf('absent.txt', absent), undefined],
    ]);
    // Same size, other bytes: only the digest can tell.
    const tampered = Buffer.from('the body somebody replaced\n');
    expect(tampered.length).toBe(original.length);
    writeFileSync(join(exportDir, bodyPath(original)), tampered);

    const attempt = importAttempt({ from: `export-${cases}` });
    const observation = await runner.run(attempt.ctx);
    expect(observation.error).toEqual({
      code: 'REIMPORT_MISMATCH',
      message: `s3.import: 2 of 3 objects not proven on s3://${bucket.name}/: 0 missing, 2 mismatched; first: "absent.txt" mismatched (body file ${bodyPath(absent)} is missing)`,
    });
    expect(observation.details?.['exit']).toMatchObject({
      expected: { objects: 3, bytes: good.length + original.length + absent.length },
      imported: { objects: 1, bytes: good.length },
      verified: { objects: 1, bytes: good.length },
      missing: { count: 0, keys: [] },
      mismatched: { count: 2, keys: ['absent.txt', 'tampered.txt'] },
    });
    expect(printed(attempt)['gaps']).toEqual([
      { key: 'absent.txt', status: 'mismatched', reason: `body file ${bodyPath(absent)} is missing` },
      { key: 'tampered.txt', status: 'mismatched', reason: `body file ${bodyPath(original)} has SHA-256 ${sha256(tampered)}, the manifest says ${sha256(original)}` },
    ]);
    expect(await keysIn()).toEqual(['good.txt']);
  });

  it('tolerates a torn last manifest line; a bad line elsewhere stops the import before anything is sent', async () => {
    const one = Buffer.from('one\n');
    const two = Buffer.from('two\n');
    writeExport('export-a', [[entryOf('one', one), one], [entryOf('two', two), two]], '{"key":"three","size":6,"etag":"ab');
    const torn = importAttempt({ from: `export-${cases}` });
    const observation = await runner.run(torn.ctx);
    expect(observation.error).toBeUndefined();
    expect(observation.details?.['exit']).toMatchObject({ expected: { objects: 2, bytes: 8 }, verified: { objects: 2, bytes: 8 } });
    expect(printed(torn)).toMatchObject({ manifests: ['export-a'], tornManifests: ['export-a'] });

    const lines = [JSON.stringify(entryOf('four', one)), '{"key":"broken', JSON.stringify(entryOf('five', two))];
    writeFileSync(join(exportDir, 'manifests', 'export-b.jsonl'), `${lines.join('\n')}\n`);
    const damaged = importAttempt({ from: `export-${cases}`, manifest: 'export-b', prefix: 'b/' });
    expect((await runner.run(damaged.ctx)).error).toEqual({
      code: 'IMPORT_BAD_MANIFEST',
      message: 's3.import: manifest export-b, line 2: not JSON (only a torn last line is tolerated)',
    });
    expect(await keysIn('b/')).toEqual([]);
  });

  it('`manifest` selects one export; without it every manifest is imported, and keys they disagree on are mismatched', async () => {
    const mine = Buffer.from('from export a\n');
    const theirs = Buffer.from('from export b\n');
    const onlyB = Buffer.from('only in b\n');
    writeExport('export-a', [[entryOf('clash.txt', mine), mine]]);
    writeExport('export-b', [[entryOf('clash.txt', theirs), theirs], [entryOf('only-b.txt', onlyB), onlyB]]);

    const selected = importAttempt({ from: `export-${cases}`, manifest: 'export-b', prefix: 'b/' });
    expect((await runner.run(selected.ctx)).error).toBeUndefined();
    expect(await keysIn('b/')).toEqual(['b/clash.txt', 'b/only-b.txt']);
    expect(await bodyOf('b/clash.txt')).toEqual(theirs);

    const all = importAttempt({ from: `export-${cases}`, prefix: 'all/' });
    const observation = await runner.run(all.ctx);
    expect(observation.error?.code).toBe('REIMPORT_MISMATCH');
    expect(printed(all)).toMatchObject({
      manifests: ['export-a', 'export-b'],
      verified: { objects: 1, bytes: onlyB.length },
      mismatched: { count: 1, keys: ['clash.txt'] },
      gaps: [{ key: 'clash.txt', status: 'mismatched', reason: `manifests export-a and export-b list it with different bodies (SHA-256 ${sha256(mine)} and ${sha256(theirs)})` }],
    });
    expect(await keysIn('all/')).toEqual(['all/only-b.txt']);

    const unknown = importAttempt({ from: `export-${cases}`, manifest: 'export-c' });
    expect((await runner.run(unknown.ctx)).error).toEqual({ code: 'IMPORT_NO_MANIFEST', message: 's3.import: manifest export-c cannot be read (ENOENT)' });
  });

  it('an object the destination refuses is missing there, with the store’s reason', async () => {
    const fine = Buffer.from('fine\n');
    const refused = Buffer.from('key too long for any S3 store\n');
    writeExport('export-a', [[entryOf('fine.txt', fine), fine], [entryOf(`long/${'k'.repeat(1100)}`, refused), refused]]);
    const attempt = importAttempt({ from: `export-${cases}` });
    const observation = await runner.run(attempt.ctx);
    expect(observation.error?.code).toBe('REIMPORT_MISMATCH');
    expect(observation.details?.['exit']).toMatchObject({ verified: { objects: 1, bytes: fine.length }, missing: { count: 1, keys: [`long/${'k'.repeat(1100)}`] } });
    const [gap] = printed(attempt)['gaps'] as { reason: string }[];
    expect(gap?.reason).toMatch(/^upload failed: s3\.import: uploading "long\/k+": \w+/);
    expect(await keysIn()).toEqual(['fine.txt']);
  });

  it('reading back catches a copy whose bytes, content type or metadata differ from the manifest', async () => {
    const body = Buffer.from('what the export holds\n');
    const other = Buffer.from('what the store sends!\n');
    expect(other.length).toBe(body.length);
    const entry = { ...entryOf('k', body, { contentType: 'text/plain', metadata: { owner: 'finance' } }), manifest: 'export-a' };
    const put = (key: string, data: Buffer, contentType: string, metadata: Record<string, string>) =>
      client.send(new PutObjectCommand({ Bucket: bucket.name, Key: key, Body: data, ContentType: contentType, Metadata: metadata }));
    await put('bytes', other, 'text/plain', { owner: 'finance' });
    await put('type', body, 'application/octet-stream', { owner: 'finance' });
    await put('meta', body, 'text/plain', { owner: 'marketing' });
    await put('same', body, 'text/plain', { Owner: 'finance' });
    const attempt = s3Attempt(labTarget(lab(), bucket.name), labSecrets(lab()));
    const session = openS3Session(attempt.ctx, 's3.import');
    try {
      const listed = new Map((await listObjects(session, '', attempt.ctx.signal, 2)).map((object) => [object.key, object]));
      expect([...listed.keys()].sort()).toEqual(['bytes', 'meta', 'same', 'type']);
      const check = (key: string) => checkCopy(session, { entry, key, listed: listed.get(key), versionId: undefined, signal: attempt.ctx.signal, clock: attempt.ctx.clock });
      // The destination's MD5 ETag vouches for the bytes it sent: it holds another body, no second read.
      expect(await check('bytes')).toEqual({
        kind: 'mismatched',
        reason: `read back ${other.length} bytes with SHA-256 ${sha256(other)}, the manifest says ${body.length} bytes with ${sha256(body)}`,
        integrity: {
          checked: ['size', 'md5-etag', 'expected-sha256'],
          result: 'mismatch',
          mismatches: [{ fact: 'expected-sha256', expected: sha256(body), actual: sha256(other) }],
          bytes: other.length,
        },
      });
      const verified = { integrity: { checked: ['size', 'md5-etag', 'expected-sha256'], result: 'verified' } };
      expect(await check('type')).toEqual({ kind: 'mismatched', reason: 'content type "application/octet-stream", the manifest says "text/plain"', ...verified });
      expect(await check('meta')).toEqual({ kind: 'mismatched', reason: 'user metadata {"owner":"marketing"}, the manifest says {"owner":"finance"}', ...verified });
      expect(await check('same')).toEqual({ kind: 'verified', ...verified });
      expect(await check('absent')).toEqual({ kind: 'missing', reason: 'not listed on the destination' });
      expect(await checkCopy(session, { entry, key: 'same', listed: { key: 'same', size: 3, etag: '', lastModified: new Date(0).toISOString() }, versionId: undefined, signal: attempt.ctx.signal, clock: attempt.ctx.clock })).toEqual({
        kind: 'mismatched',
        reason: `listed with 3 bytes, the manifest says ${body.length}`,
      });
    } finally {
      session.close();
    }
  });
});
