import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectVersionsCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3ExportRunner } from '../../../runners/s3/definition.js';
import type { Target } from '../../../src/scenario/types.js';
import { useS3Lab } from '../../lab/use-heavy-servers.js';
import { attachedText, exportAttempt, factsOf, manifestOf, seed, sha256 } from './export-support.js';
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

/** The new provider: another target on the lab, under its own prefix. */
function neutral(name: string): Target {
  return { ...labTarget(lab(), name, { prefix: 'mirror/' }), name: 'neutral' };
}

async function bodyOf(bucketName: string, key: string, versionId?: string): Promise<Buffer> {
  const got = await client.send(new GetObjectCommand({ Bucket: bucketName, Key: key, ...(versionId === undefined ? {} : { VersionId: versionId }) }));
  return Buffer.from(await got.Body?.transformToByteArray() ?? []);
}

describe('s3.export to another s3 target', () => {
  beforeAll(() => {
    client = labClient(lab());
    base = mkdtempSync(join(tmpdir(), 'drillbook-export-s3-'));
  });
  afterAll(async () => {
    rmSync(base, { recursive: true, force: true });
    await Promise.all(buckets.map((b) => b.remove()));
    client.destroy();
  });

  it('copies bodies, content types and metadata, resumes from its state file, and fails a key too long for the destination', async () => {
    const source = await bucket();
    const destination = await bucket();
    const big = randomBytes(6 * 1024 * 1024 + 17);
    await client.send(new PutObjectCommand({ Bucket: source, Key: 'src/db/dump.bin', Body: big, ContentType: 'application/octet-stream', Metadata: { taken: '2026-11-28' } }));
    await seed(client, source, { 'src/docs/readme.txt': 'read me\n', 'src/../odd': 'a key, not a path' }, { ContentType: 'text/plain', Metadata: { owner: 'ops' } });
    await seed(client, source, { 'src/empty': '', 'other/not-exported': 'outside the prefix' });
    const baseDir = mkdtempSync(join(base, 'mirror-'));
    const options = { to: { target: 'neutral', prefix: 'copy/', state: 'state/export.jsonl' }, partSizeMiB: 5 };
    const attemptOn = () => exportAttempt(labTarget(lab(), source, { prefix: 'src/' }), labSecrets(lab()), { baseDir, options, targets: [neutral(destination)] });

    const first = attemptOn();
    const observation = await runner.run(first.ctx);
    expect(observation.error).toBeUndefined();
    const entries = manifestOf(attachedText(first, 'manifest.jsonl'));
    expect(entries.map(({ key, destinationKey, sha256: digest, size }) => ({ key, destinationKey, sha256: digest, size }))).toEqual([
      { key: '../odd', destinationKey: 'mirror/copy/../odd', sha256: sha256('a key, not a path'), size: 17 },
      { key: 'db/dump.bin', destinationKey: 'mirror/copy/db/dump.bin', sha256: sha256(big), size: big.length },
      { key: 'docs/readme.txt', destinationKey: 'mirror/copy/docs/readme.txt', sha256: sha256('read me\n'), size: 8 },
      { key: 'empty', destinationKey: 'mirror/copy/empty', sha256: sha256(''), size: 0 },
    ]);
    expect((await bodyOf(destination, 'mirror/copy/db/dump.bin')).equals(big)).toBe(true);
    const copied = await client.send(new GetObjectCommand({ Bucket: destination, Key: 'mirror/copy/docs/readme.txt' }));
    expect({ type: copied.ContentType, metadata: copied.Metadata, body: await copied.Body?.transformToString() }).toEqual({ type: 'text/plain', metadata: { owner: 'ops' }, body: 'read me\n' });
    expect(entries.find((e) => e.key === 'db/dump.bin')).toMatchObject({ contentType: 'application/octet-stream', metadata: { taken: '2026-11-28' } });
    expect(factsOf(observation.details)).toMatchObject({
      source: `s3://${source}/src/`,
      destination: `s3://${destination}/mirror/copy/`,
      exported: { objects: 4, bytes: big.length + 17 + 8 },
      destinationVerified: true,
    });
    expect(observation.details).toMatchObject({ bucket: source, retries: 0, destination: { target: 'neutral', bucket: destination, retries: 0 } });
    // The state file is the manifest, kept where the scenario said.
    expect(readFileSync(join(baseDir, 'state', 'export.jsonl'), 'utf8')).toBe(attachedText(first, 'manifest.jsonl'));

    const second = attemptOn();
    const again = await runner.run(second.ctx);
    expect(again.error).toBeUndefined();
    expect(factsOf(again.details)).toMatchObject({ resumed: { objects: 4 }, transferred: { bytes: 0 }, exported: { objects: 4 } });
    expect(printed(second)).toMatchObject({ copied: { objects: 0, bytes: 0 } });

    // 'mirror/copy/' + 1,015 bytes is over S3's 1,024: that object fails, the others stay exported.
    const long = 'k'.repeat(1015);
    await seed(client, source, { [`src/${long}`]: 'long' });
    const third = attemptOn();
    const failed = await runner.run(third.ctx);
    expect(failed.error).toEqual({
      code: 'EXPORT_INCOMPLETE',
      message: `s3.export: the export of s3://${source}/src/ is incomplete: 0 missing, 0 extra, 0 changed, 0 corrupted, 1 failed, 0 vanished (failed: ${JSON.stringify(long)})`,
    });
    expect(factsOf(failed.details)).toMatchObject({ exported: { objects: 4 }, resumed: { objects: 4 }, reconciliation: { failed: { count: 1, keys: [long] }, missing: { count: 0 } } });
    const report = JSON.parse(attachedText(third, 'reconciliation.json')) as { failed: { key: string; code: string; reason: string }[] };
    expect(report.failed).toEqual([{ key: long, code: 'S3_KEY_TOO_LONG', reason: 'the destination key would be 1027 bytes long; S3 keys hold at most 1024' }]);
  });

  it('exports every version to a versioned destination, oldest first, so the latest stays current', async () => {
    const source = await bucket(true);
    const destination = await bucket(true);
    for (const body of ['first', 'second', 'third']) await client.send(new PutObjectCommand({ Bucket: source, Key: 'doc.txt', Body: body }));
    const baseDir = mkdtempSync(join(base, 'versions-'));
    const attempt = exportAttempt(labTarget(lab(), source), labSecrets(lab()), {
      baseDir,
      options: { to: { target: 'neutral', state: 'state.jsonl' }, versions: true },
      targets: [neutral(destination)],
    });
    const observation = await runner.run(attempt.ctx);
    expect(observation.error).toBeUndefined();
    expect((await bodyOf(destination, 'mirror/doc.txt')).toString()).toBe('third');
    const listed = await client.send(new ListObjectVersionsCommand({ Bucket: destination }));
    expect(listed.Versions?.length).toBe(3);
    const entries = manifestOf(attachedText(attempt, 'manifest.jsonl')) as (ReturnType<typeof manifestOf>[number] & { destinationVersionId?: string })[];
    for (const entry of entries) {
      expect((await bodyOf(destination, 'mirror/doc.txt', entry.destinationVersionId)).toString('hex')).toBe((await bodyOf(source, 'doc.txt', entry.versionId)).toString('hex'));
    }
    expect(factsOf(observation.details)).toMatchObject({ versions: true, exported: { objects: 3 }, destinationVerified: true });

    // Versions cannot be kept by a destination without versioning: said before anything is copied.
    const flat = await bucket();
    const refused = exportAttempt(labTarget(lab(), source), labSecrets(lab()), {
      baseDir,
      options: { to: { target: 'neutral', state: 'flat.jsonl' }, versions: true },
      targets: [neutral(flat)],
    });
    expect((await runner.run(refused.ctx)).error).toEqual({
      code: 'S3_DESTINATION_NOT_VERSIONED',
      message: `s3.export: exporting versions needs versioning on the destination s3://${flat}, which is not enabled`,
    });
  });
});
