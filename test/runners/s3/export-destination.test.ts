/**
 * s3.export to a local folder someone prepared beforehand: a link or someone else's folder anywhere in
 * it would redirect the customer's data, so the export refuses it before copying anything, and nothing
 * is written where the plant points.
 */
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3ExportRunner } from '../../../runners/s3/definition.js';
import { useS3Lab } from '../../lab/use-heavy-servers.js';
import { exportAttempt, filesUnder, seed, sha256 } from './export-support.js';
import { createBucket, labClient, labSecrets, labTarget } from './support.js';

const lab = useS3Lab();
const runner = await s3ExportRunner.load();
const body = 'the customer’s invoice';
const shard = sha256(body).slice(0, 2);
let client: S3Client;
let base: string;
let bucket: Awaited<ReturnType<typeof createBucket>>;

const link = 'is a symbolic link: remove it (drillbook then makes the folder itself), or name the folder it points to';
const foreign = 'belongs to uid 65534, not to this user (0): remove it (drillbook then makes the folder itself), or give it to this user';

/** A scenario folder and a folder outside it that a plant points to; the export goes to `export`. */
function prepare(): { baseDir: string; dest: string; outside: string } {
  const baseDir = mkdtempSync(join(base, 'case-'));
  const outside = mkdtempSync(join(base, 'outside-'));
  return { baseDir, dest: join(baseDir, 'export'), outside };
}

async function exportTo(baseDir: string) {
  const attempt = exportAttempt(labTarget(lab(), bucket.name), labSecrets(lab()), { baseDir, options: { to: { dir: 'export' } } });
  return runner.run(attempt.ctx);
}

describe('s3.export refuses a destination prepared by someone else', () => {
  beforeAll(async () => {
    client = labClient(lab());
    bucket = await createBucket(client);
    await seed(client, bucket.name, { 'invoices/1.txt': body });
    base = mkdtempSync(join(tmpdir(), 'drillbook-export-dest-'));
  });
  afterAll(async () => {
    rmSync(base, { recursive: true, force: true });
    await bucket.remove();
    client.destroy();
  });

  it('makes its own folders, 0700, and its files 0600', async () => {
    const { baseDir, dest } = prepare();
    expect((await exportTo(baseDir)).error).toBeUndefined();
    for (const folder of ['', 'objects', `objects/${shard}`, 'tmp', 'manifests']) expect(lstatSync(join(dest, folder)).mode & 0o777).toBe(0o700);
    for (const file of [`objects/${shard}/${sha256(body)}`, 'manifests/export.jsonl']) expect(lstatSync(join(dest, file)).mode & 0o777).toBe(0o600);
  });

  const linkedFolders = ['', 'objects', 'tmp', 'manifests', `objects/${shard}`];
  it.each(linkedFolders)('a symbolic link at export/%s fails the step and nothing lands where it points', async (folder) => {
    const { baseDir, dest, outside } = prepare();
    if (folder !== '') mkdirSync(join(dest, folder, '..'), { recursive: true });
    symlinkSync(outside, join(dest, folder));
    const observation = await exportTo(baseDir);
    expect(observation.error).toEqual({ code: 'DEST_UNSAFE', message: `s3.export: ${join(dest, folder)} ${link}` });
    expect(filesUnder(outside)).toEqual([]);
  });

  it('a link at the manifest it would resume from fails the step; the file it points to is neither read nor written', async () => {
    const { baseDir, dest, outside } = prepare();
    mkdirSync(join(dest, 'manifests'), { recursive: true, mode: 0o700 });
    writeFileSync(join(outside, 'theirs.jsonl'), 'not a manifest of this export\n');
    symlinkSync(join(outside, 'theirs.jsonl'), join(dest, 'manifests', 'export.jsonl'));
    const observation = await exportTo(baseDir);
    expect(observation.error).toEqual({
      code: 'DEST_UNSAFE',
      message: `s3.export: ${join(dest, 'manifests', 'export.jsonl')} is a symbolic link: remove it; drillbook never reads or writes its own files through a link`,
    });
    expect(readFileSync(join(outside, 'theirs.jsonl'), 'utf8')).toBe('not a manifest of this export\n');
    expect(lstatSync(join(dest, 'manifests', 'export.jsonl')).isSymbolicLink()).toBe(true);
    expect(filesUnder(join(dest, 'objects'))).toEqual([]);
  });

  it('a manifest of another user’s fails the step before it is read or replaced', async () => {
    const { baseDir, dest } = prepare();
    const manifest = join(dest, 'manifests', 'export.jsonl');
    mkdirSync(join(dest, 'manifests'), { recursive: true, mode: 0o700 });
    writeFileSync(manifest, 'their manifest\n');
    chownSync(manifest, 65534, 65534);
    expect((await exportTo(baseDir)).error).toEqual({
      code: 'DEST_UNSAFE',
      message: `s3.export: ${manifest} belongs to uid 65534, not to this user (0): remove it, or give it to this user`,
    });
    expect(lstatSync(manifest).uid).toBe(65534);
    expect(readFileSync(manifest, 'utf8')).toBe('their manifest\n');
  });

  it.each(['', 'tmp', `objects/${shard}`])('a folder export/%s of another user fails the step, with nothing written in it', async (folder) => {
    const { baseDir, dest } = prepare();
    mkdirSync(join(dest, folder), { recursive: true });
    chownSync(join(dest, folder), 65534, 65534);
    const observation = await exportTo(baseDir);
    expect(observation.error).toEqual({ code: 'DEST_UNSAFE', message: `s3.export: ${join(dest, folder)} ${foreign}` });
    expect(filesUnder(join(dest, folder))).toEqual([]);
  });

  it('a folder in it that others may write, or a file where a folder goes, fails the step', async () => {
    const open = prepare();
    mkdirSync(join(open.dest, 'objects'), { recursive: true, mode: 0o700 });
    writeFileSync(join(open.dest, 'objects', 'note.txt'), 'a file where a shard folder goes');
    expect((await exportTo(open.baseDir)).error).toEqual({
      code: 'DEST_UNSAFE',
      message: `s3.export: ${join(open.dest, 'objects', 'note.txt')} is not a folder: remove it, or choose another path`,
    });

    const shared = prepare();
    mkdirSync(join(shared.dest, 'manifests'), { recursive: true });
    chmodSync(join(shared.dest, 'manifests'), 0o777);
    expect((await exportTo(shared.baseDir)).error).toEqual({
      code: 'DEST_UNSAFE',
      message: `s3.export: ${join(shared.dest, 'manifests')} is writable by other users: remove their write permission (chmod go-w), or choose another folder`,
    });
    expect(filesUnder(shared.dest)).toEqual([]);
  });
});
