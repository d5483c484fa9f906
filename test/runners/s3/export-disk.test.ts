/**
 * s3.export into a local folder on a small tmpfs (the tests run as root): a folder too small for the
 * export is refused before the first GET; a disk that fills during the export stops it at the first
 * failed write, as the destination's failure, with the manifest of what finished kept for the next attempt.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { execa } from 'execa';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { s3ExportRunner } from '../../../runners/s3/definition.js';
import { useS3Lab } from '../../lab/use-heavy-servers.js';
import { MemorySink } from '../attempt-context.js';
import { exportAttempt, factsOf, manifestOf, seed, startTamperProxy, type TamperProxy } from './export-support.js';
import { createBucket, labClient, labSecrets, labTarget } from './support.js';

const lab = useS3Lab();
const runner = await s3ExportRunner.load();
const objectBytes = 256 * 1024;
let client: S3Client;
let base: string;
const buckets: { remove(): Promise<void> }[] = [];
const mounts: string[] = [];
const proxies: TamperProxy[] = [];

/** A tmpfs of `size` mounted in a new folder; unmounted after the test. */
async function tmpfs(size: string): Promise<string> {
  const mount = mkdtempSync(join(base, 'disk-'));
  await execa('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', mount]);
  mounts.push(mount);
  return mount;
}

/** A bucket of `count` random bodies of 256 KiB, `obj-00` …; the bodies by key. */
async function filledBucket(count: number): Promise<{ name: string; bodies: Record<string, Buffer> }> {
  const made = await createBucket(client);
  buckets.push(made);
  const bodies = Object.fromEntries(Array.from({ length: count }, (_, i) => [`obj-${String(i).padStart(2, '0')}`, randomBytes(objectBytes)]));
  await seed(client, made.name, bodies);
  return { name: made.name, bodies };
}

const gets = (proxy: TamperProxy): number => proxy.seen.filter((request) => request.startsWith('GET ')).length;

describe('s3.export on a disk that fills', () => {
  beforeAll(() => {
    client = labClient(lab());
    base = mkdtempSync(join(tmpdir(), 'drillbook-export-disk-'));
  });
  afterEach(async () => {
    for (const proxy of proxies.splice(0)) await proxy.close();
    for (const mount of mounts.splice(0)) await execa('umount', [mount], { reject: false });
  });
  afterAll(async () => {
    rmSync(base, { recursive: true, force: true });
    await Promise.all(buckets.map((b) => b.remove()));
    client.destroy();
  });

  it('refuses a folder too small for what is still to copy before any GET; warn starts anyway and records why', async () => {
    const { name } = await filledBucket(8);
    const disk = await tmpfs('1m');
    const proxy = await startTamperProxy(lab().endpoint, name, {});
    proxies.push(proxy);
    const attemptWith = (extra: Record<string, unknown>) =>
      exportAttempt(labTarget(lab(), name, { endpoint: proxy.endpoint }), labSecrets(lab()), { baseDir: disk, options: { to: { dir: 'export' }, concurrency: 2, ...extra } });
    const refused = await runner.run(attemptWith({}).ctx);
    expect(refused.error).toEqual({
      code: 'DEST_INSUFFICIENT_SPACE',
      message:
        's3.export: the export folder export has 1 MiB free; the 8 objects still to copy need 2 MiB (files rounded up to whole blocks); nothing was downloaded. Free space or choose another folder (insufficientSpace: warn starts anyway)',
    });
    expect(refused.details?.['freeSpace']).toEqual({ folder: join(disk, 'export'), objects: 8, neededBytes: 8 * objectBytes, availableBytes: 1024 * 1024, enough: false });
    expect(gets(proxy)).toBe(0);

    const warned = attemptWith({ insufficientSpace: 'warn' });
    const logged = new MemorySink();
    warned.ctx.log = pino({ level: 'warn' }, logged);
    const started = await runner.run(warned.ctx);
    expect(gets(proxy)).toBeGreaterThan(0);
    expect(started.details?.['freeSpace']).toMatchObject({ objects: 8, enough: false });
    expect(logged.bytes().toString('utf8')).toContain('s3.export: the export folder export has 1 MiB free; the 8 objects still to copy need 2 MiB (files rounded up to whole blocks); starting anyway (insufficientSpace: warn)');
    // The disk really is too small: the export stops where it filled.
    expect(started.error?.code).toBe('DEST_ENOSPC');
    const finished = Number(started.details?.['exported']);
    expect(finished).toBeGreaterThan(0);

    // What the manifest holds needs no room: only the rest is counted.
    const again = await runner.run(attemptWith({}).ctx);
    expect(again.error?.code).toBe('DEST_INSUFFICIENT_SPACE');
    expect(again.details?.['freeSpace']).toMatchObject({ objects: 8 - finished, neededBytes: (8 - finished) * objectBytes });
  });

  it('stops at the first ENOSPC as DEST_ENOSPC, keeps the manifest, and a later attempt resumes once there is space', async () => {
    const { name, bodies } = await filledBucket(40);
    const disk = await tmpfs('16m');
    const filler = join(disk, 'filler');
    // Something else takes the disk once the export is under way: about 1 MiB stays free.
    const proxy = await startTamperProxy(lab().endpoint, name, {
      before: (method, key) => {
        if (method === 'GET' && key === 'obj-02') {
          const free = statfsSync(disk);
          writeFileSync(filler, Buffer.alloc(free.bavail * free.bsize - 1024 * 1024));
        }
        return Promise.resolve();
      },
    });
    proxies.push(proxy);
    const options = { to: { dir: 'export' }, concurrency: 2 };
    const first = exportAttempt(labTarget(lab(), name, { endpoint: proxy.endpoint }), labSecrets(lab()), { baseDir: disk, options });
    const stopped = await runner.run(first.ctx);

    expect(stopped.error?.code).toBe('DEST_ENOSPC');
    const finished = Number(stopped.details?.['exported']);
    const notAttempted = Number(stopped.details?.['notAttempted']);
    expect(stopped.error?.message).toMatch(
      new RegExp(
        `^s3\\.export: writing to the export folder export failed: ENOSPC \\(no space left on device\\) after ${finished} objects \\(\\d+(\\.\\d+)? (KiB|MiB)\\) were written in this attempt; ${notAttempted} of 40 objects were not attempted\\. The manifest keeps the ${finished} finished; a new attempt resumes from it once the destination can be written$`,
      ),
    );
    // Stopped at once: no GET for the objects after the failure.
    expect(gets(proxy)).toBeLessThan(12);
    expect(finished).toBeGreaterThanOrEqual(2);
    expect(notAttempted).toBe(40 - gets(proxy));
    const kept = manifestOf(readFileSync(join(disk, 'export', 'manifests', 'export.jsonl'), 'utf8'));
    expect(kept).toHaveLength(finished);
    expect(readdirSync(join(disk, 'export', 'tmp'))).toEqual([]);

    unlinkSync(filler);
    const second = exportAttempt(labTarget(lab(), name), labSecrets(lab()), { baseDir: disk, options });
    second.ctx.attempt = 2;
    const observation = await runner.run(second.ctx);
    expect(observation.error).toBeUndefined();
    expect(factsOf(observation.details)).toMatchObject({
      resumed: { objects: finished },
      exported: { objects: 40, bytes: 40 * objectBytes },
      transferred: { bytes: (40 - finished) * objectBytes },
      destinationVerified: true,
    });
    expect(observation.details?.['notAttempted']).toBe(0);
    expect(Object.keys(bodies)).toHaveLength(40);
  });
});
