import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3ExportRunner } from '../../../runners/s3/definition.js';
import { useS3Lab } from '../../lab/use-heavy-servers.js';
import { until } from '../attempt-context.js';
import { startFaultProxy, type FaultProxy } from './fault-proxy.js';
import { attachedText, deleteBeforeRead, exportAttempt, factsOf, filesUnder, manifestOf, seed, sha256, startTamperProxy } from './export-support.js';
import { createBucket, labClient, labSecrets, labTarget, printed } from './support.js';

const lab = useS3Lab();
const runner = await s3ExportRunner.load();
let client: S3Client;
let base: string;
const buckets: { remove(): Promise<void> }[] = [];
const closers: (() => Promise<void>)[] = [];

async function bucket(): Promise<string> {
  const made = await createBucket(client);
  buckets.push(made);
  return made.name;
}

describe('s3.export: gaps, interruptions and throttling', () => {
  beforeAll(() => {
    client = labClient(lab());
    base = mkdtempSync(join(tmpdir(), 'drillbook-export-gaps-'));
  });
  afterAll(async () => {
    for (const close of closers) await close();
    rmSync(base, { recursive: true, force: true });
    await Promise.all(buckets.map((b) => b.remove()));
    client.destroy();
  });

  it('lists what was deleted, added, changed and corrupted during the export, and fails', async () => {
    const name = await bucket();
    await seed(client, name, { 'a-gone': 'copied, then deleted', 'b-moving': 'copied, then changed', 'c-bad': 'damaged on the way', 'm-trigger': 'changes the source', 'z-last': 'fine' });
    let changedSource = false;
    const proxy = await startTamperProxy(lab().endpoint, name, {
      corrupt: (key) => key === 'c-bad',
      // One object at a time in key order: when m-trigger is asked for, a-, b- and c- are done.
      before: async (method, key) => {
        if (method !== 'GET' || key !== 'm-trigger' || changedSource) return;
        changedSource = true;
        await client.send(new DeleteObjectCommand({ Bucket: name, Key: 'a-gone' }));
        await client.send(new PutObjectCommand({ Bucket: name, Key: 'b-moving', Body: 'a new body' }));
        await client.send(new PutObjectCommand({ Bucket: name, Key: 'n-new', Body: 'arrived during the export' }));
      },
    });
    closers.push(() => proxy.close());
    const baseDir = mkdtempSync(join(base, 'gaps-'));
    const target = labTarget(lab(), name, { endpoint: proxy.endpoint });
    const attempt = exportAttempt(target, labSecrets(lab()), { baseDir, options: { to: { dir: 'export' }, concurrency: 1 } });
    const observation = await runner.run(attempt.ctx);

    expect(observation.error).toEqual({
      code: 'EXPORT_INCOMPLETE',
      message: `s3.export: the export of s3://${name}/ is incomplete: 1 missing, 1 extra, 1 changed, 1 corrupted, 0 failed, 0 vanished (missing: "n-new"; extra: "a-gone"; changed: "b-moving"; corrupted: "c-bad")`,
    });
    const facts = factsOf(observation.details);
    expect(facts.reconciliation).toEqual({
      listedAtEnd: { objects: 5, bytes: ['a new body', 'damaged on the way', 'changes the source', 'fine', 'arrived during the export'].join('').length },
      missing: { count: 1, keys: ['n-new'] },
      extra: { count: 1, keys: ['a-gone'] },
      changed: { count: 1, keys: ['b-moving'] },
      corrupted: { count: 1, keys: ['c-bad'] },
      failed: { count: 0, keys: [] },
      vanished: { count: 0, keys: [] },
    });
    // The damaged body is not kept as good: not in the manifest, not in the folder.
    const entries = manifestOf(attachedText(attempt, 'manifest.jsonl'));
    expect(entries.map((e) => e.key)).toEqual(['a-gone', 'b-moving', 'm-trigger', 'z-last']);
    expect(filesUnder(join(baseDir, 'export')).filter((f) => f.startsWith('objects/'))).toHaveLength(4);
    expect(existsSync(join(baseDir, 'export', 'objects', sha256('damaged on the way').slice(0, 2), sha256('damaged on the way')))).toBe(false);
    const report = JSON.parse(attachedText(attempt, 'reconciliation.json')) as Record<string, { key: string; reason?: string }[]>;
    // Damaged on every read: found by the MD5 ETag, read once more, then reported with both digests.
    const md5 = (data: Buffer): string => createHash('md5').update(data).digest('hex');
    const good = Buffer.from('damaged on the way');
    const damaged = Buffer.from(good);
    damaged[0] = (damaged[0] ?? 0) ^ 0xff;
    expect(report['corrupted']).toEqual([{ key: 'c-bad', reason: `md5-etag: expected ${md5(good)}, got ${md5(damaged)} (on 2 reads)` }]);
    expect(observation.details?.['integrity']).toEqual({ objects: 5, verified: 4, sizeCheckedOnly: 0, mismatched: 1, retried: 1, checked: ['size', 'md5-etag'] });
    expect(report['missing']?.map((m) => m.key)).toEqual(['n-new']);
    expect(report['changed']).toEqual([
      expect.objectContaining({ key: 'b-moving', exported: expect.objectContaining({ size: 20 }) as unknown, atEnd: expect.objectContaining({ size: 10 }) as unknown }),
    ]);
    expect(printed(attempt)).toMatchObject({ reconciliation: { missing: 1, extra: 1, changed: 1, corrupted: 1, failed: 0, vanished: 0 }, objects: 4 });
  });

  it('an object deleted between the listing and its read is vanished: a gap, unless deletions are accepted, and listed either way', async () => {
    const keys = Array.from({ length: 20 }, (_, i) => `obj-${String(i).padStart(2, '0')}.bin`);
    const exportWith = async (extra: Record<string, unknown>) => {
      const name = await bucket();
      await seed(client, name, Object.fromEntries(keys.map((key) => [key, `body of ${key}`])));
      // A workload deletes obj-14.bin after the listing, just before the export reads it.
      const proxy = await startTamperProxy(lab().endpoint, name, { before: deleteBeforeRead(client, name, 'obj-14.bin') });
      closers.push(() => proxy.close());
      const attempt = exportAttempt(labTarget(lab(), name, { endpoint: proxy.endpoint }), labSecrets(lab()), {
        baseDir: mkdtempSync(join(base, 'vanished-')),
        options: { to: { dir: 'export' }, concurrency: 4, ...extra },
      });
      return { name, attempt, observation: await runner.run(attempt.ctx) };
    };
    const vanished = { count: 1, keys: ['obj-14.bin'] };

    const strict = await exportWith({});
    expect(strict.observation.error).toEqual({
      code: 'EXPORT_INCOMPLETE',
      message: `s3.export: the export of s3://${strict.name}/ is incomplete: 0 missing, 0 extra, 0 changed, 0 corrupted, 0 failed, 1 vanished (vanished: "obj-14.bin")`,
    });
    expect(factsOf(strict.observation.details)).toMatchObject({ listed: { objects: 20 }, exported: { objects: 19 }, reconciliation: { vanished }, deletionsAccepted: false });
    const report = JSON.parse(attachedText(strict.attempt, 'reconciliation.json')) as Record<string, unknown>;
    expect(report['vanished']).toEqual([expect.objectContaining({ key: 'obj-14.bin', size: 'body of obj-14.bin'.length })]);
    expect(printed(strict.attempt)).toMatchObject({ objects: 19, reconciliation: { vanished: 1 } });

    const accepting = await exportWith({ acceptDeletions: true });
    expect(accepting.observation.error).toBeUndefined();
    expect(factsOf(accepting.observation.details)).toMatchObject({ exported: { objects: 19 }, reconciliation: { vanished }, deletionsAccepted: true });
    const accepted = JSON.parse(attachedText(accepting.attempt, 'reconciliation.json')) as Record<string, unknown>;
    expect(accepted).toMatchObject({ deletionsAccepted: true, vanished: [expect.objectContaining({ key: 'obj-14.bin' })] });
  });

  it('an object deleted before its read and put back before the end is missing, which acceptDeletions never excuses', async () => {
    const name = await bucket();
    const keys = Array.from({ length: 6 }, (_, i) => `obj-${i}.bin`);
    await seed(client, name, Object.fromEntries(keys.map((key) => [key, `body of ${key}`])));
    const deleteRead = deleteBeforeRead(client, name, 'obj-4.bin');
    let listings = 0;
    const proxy = await startTamperProxy(lab().endpoint, name, {
      before: async (method, key) => {
        await deleteRead(method, key);
        // The listing at the end finds it again, with other bytes: it exists and was never exported.
        if (method === 'GET' && !key && ++listings === 2) await client.send(new PutObjectCommand({ Bucket: name, Key: 'obj-4.bin', Body: 'back again' }));
      },
    });
    closers.push(() => proxy.close());
    const attempt = exportAttempt(labTarget(lab(), name, { endpoint: proxy.endpoint }), labSecrets(lab()), {
      baseDir: mkdtempSync(join(base, 'back-')),
      options: { to: { dir: 'export' }, concurrency: 2, acceptDeletions: true },
    });
    const observation = await runner.run(attempt.ctx);
    expect(listings).toBe(2);
    expect(observation.error).toEqual({
      code: 'EXPORT_INCOMPLETE',
      message: `s3.export: the export of s3://${name}/ is incomplete: 1 missing, 0 changed, 0 corrupted, 0 failed (missing: "obj-4.bin")`,
    });
    expect(factsOf(observation.details)).toMatchObject({ exported: { objects: 5 }, reconciliation: { missing: { count: 1, keys: ['obj-4.bin'] }, vanished: { count: 0 } } });
  });

  it('a body damaged on its first read only is read again and exported right, the retry in the record', async () => {
    const name = await bucket();
    const bodies = { 'once.bin': randomBytes(100_000), 'fine.bin': randomBytes(1000) };
    await seed(client, name, bodies);
    const faults = await startFaultProxy(lab().endpoint);
    closers.push(() => faults.close());
    faults.inject({ fault: 'flip-byte', times: 1, match: (r) => r.method === 'GET' && r.key === 'once.bin' });
    const baseDir = mkdtempSync(join(base, 'flip-once-'));
    const attempt = exportAttempt(labTarget(lab(), name, { endpoint: faults.endpoint }), labSecrets(lab()), { baseDir, options: { to: { dir: 'export' } } });
    const observation = await runner.run(attempt.ctx);
    expect(observation.error).toBeUndefined();
    const entries = manifestOf(attachedText(attempt, 'manifest.jsonl'));
    expect(entries.map(({ key, sha256: digest }) => ({ key, sha256: digest }))).toEqual([
      { key: 'fine.bin', sha256: sha256(bodies['fine.bin']) },
      { key: 'once.bin', sha256: sha256(bodies['once.bin']) },
    ]);
    expect(readFileSync(join(baseDir, 'export', 'objects', sha256(bodies['once.bin']).slice(0, 2), sha256(bodies['once.bin']))).equals(bodies['once.bin'])).toBe(true);
    expect(observation.details?.['integrity']).toEqual({ objects: 2, verified: 2, sizeCheckedOnly: 0, mismatched: 0, retried: 1, checked: ['size', 'md5-etag'] });
  });

  it('a stopped export keeps only finished objects and no temporary file; the next attempt copies only the rest', async () => {
    const name = await bucket();
    const bodies = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`obj-${i}`, randomBytes(256 * 1024)]));
    await seed(client, name, bodies);
    // obj-4 arrives half, then hangs: the stop lands mid-object.
    const proxy = await startTamperProxy(lab().endpoint, name, { stall: (key) => key === 'obj-4' });
    closers.push(() => proxy.close());
    const baseDir = mkdtempSync(join(base, 'resume-'));
    const options = { to: { dir: 'export' }, concurrency: 1 };
    const first = exportAttempt(labTarget(lab(), name, { endpoint: proxy.endpoint }), labSecrets(lab()), { baseDir, options });
    const running = runner.run(first.ctx);
    const tmp = join(baseDir, 'export', 'tmp');
    await until(() => proxy.seen.includes('GET obj-4') && existsSync(tmp) && readdirSync(tmp).length > 0);
    first.controller.abort(new Error('timeout'));
    const stopped = await running;

    expect(stopped.error).toEqual({ code: 'CANCELLED', message: 's3.export: stopped after 4 of 8 objects; the manifest keeps those, a new attempt resumes from it' });
    expect(readdirSync(tmp)).toEqual([]);
    const kept = manifestOf(readFileSync(join(baseDir, 'export', 'manifests', 'export.jsonl'), 'utf8'));
    expect(kept.map((e) => e.key)).toEqual(['obj-0', 'obj-1', 'obj-2', 'obj-3']);
    expect(stopped.details).toMatchObject({ exported: 4, resumed: 0 });

    const second = exportAttempt(labTarget(lab(), name), labSecrets(lab()), { baseDir, options });
    second.ctx.attempt = 2;
    const observation = await runner.run(second.ctx);
    expect(observation.error).toBeUndefined();
    const facts = factsOf(observation.details);
    expect(facts).toMatchObject({
      resumed: { objects: 4, bytes: 4 * 256 * 1024 },
      exported: { objects: 8, bytes: 8 * 256 * 1024 },
      transferred: { bytes: 4 * 256 * 1024 },
      destinationVerified: true,
    });
    const entries = manifestOf(attachedText(second, 'manifest.jsonl'));
    expect(entries.map(({ key, sha256: digest }) => ({ key, sha256: digest }))).toEqual(Object.entries(bodies).map(([key, body]) => ({ key, sha256: sha256(body) })));
    expect(readFileSync(join(baseDir, 'export', 'manifests', 'export.jsonl'), 'utf8')).toBe(attachedText(second, 'manifest.jsonl'));
    expect(printed(second)).toMatchObject({ objects: 8, copied: { objects: 4 }, resumed: { objects: 4 } });
  });

  it('an object in an archive tier is failed as S3_RESTORE_REQUIRED, the others exported', async () => {
    const name = await bucket();
    await seed(client, name, { 'cold.bin': 'archived', 'warm.bin': 'readable' });
    const faults = await startFaultProxy(lab().endpoint);
    closers.push(() => faults.close());
    faults.inject({ fault: 'invalid-object-state', match: (r) => r.method === 'GET' && r.key === 'cold.bin' });
    const attempt = exportAttempt(labTarget(lab(), name, { endpoint: faults.endpoint }), labSecrets(lab()), { baseDir: mkdtempSync(join(base, 'archived-')), options: { to: { dir: 'export' } } });
    const observation = await runner.run(attempt.ctx);

    expect(observation.error).toEqual({
      code: 'EXPORT_INCOMPLETE',
      message: `s3.export: the export of s3://${name}/ is incomplete: 0 missing, 0 extra, 0 changed, 0 corrupted, 1 failed, 0 vanished (failed: "cold.bin")`,
    });
    const report = JSON.parse(attachedText(attempt, 'reconciliation.json')) as Record<string, unknown>;
    expect(report['failed']).toEqual([
      {
        key: 'cold.bin',
        code: 'S3_RESTORE_REQUIRED',
        reason: `s3.export: s3://${name}/cold.bin is in the GLACIER storage class: restore required before it can be read; restore it first (RestoreObject, e.g. \`aws s3api restore-object\`) and run the step again once the restore has completed`,
      },
    ]);
    expect(manifestOf(attachedText(attempt, 'manifest.jsonl')).map((e) => e.key)).toEqual(['warm.bin']);
  });

  it('finishes through 503 SlowDown answers, with every retry in the record', async () => {
    const name = await bucket();
    await seed(client, name, Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k-${String(i).padStart(2, '0')}`, `body ${i}`])));
    // client → fault proxy → tamper proxy → radosgw: the first object's GET arms six SlowDowns for the requests after it.
    const chain: { faults?: FaultProxy } = {};
    const tamper = await startTamperProxy(lab().endpoint, name, {
      before: (method, key) => {
        if (method === 'GET' && key === 'k-00') chain.faults?.fail(6, 'slowdown');
        return Promise.resolve();
      },
    });
    closers.push(() => tamper.close());
    const faults = await startFaultProxy(tamper.endpoint);
    chain.faults = faults;
    closers.push(() => faults.close());
    const target = labTarget(lab(), name, { endpoint: faults.endpoint, retryBaseDelay: '20ms', maxAttempts: 10 });
    const attempt = exportAttempt(target, labSecrets(lab()), { baseDir: mkdtempSync(join(base, 'throttled-')), options: { to: { dir: 'export' }, concurrency: 4 } });
    const observation = await runner.run(attempt.ctx);
    expect(observation.error).toBeUndefined();
    expect(factsOf(observation.details)).toMatchObject({ exported: { objects: 20 }, destinationVerified: true });
    expect(observation.details).toMatchObject({ retries: 6 });
    const log = observation.details?.['retryLog'] as { errorType: string; code: string; status: number }[];
    expect(log.map(({ errorType, code, status }) => ({ errorType, code, status }))).toEqual(Array(6).fill({ errorType: 'THROTTLING', code: 'SlowDown', status: 503 }));
  });
});
