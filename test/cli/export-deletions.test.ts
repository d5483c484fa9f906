/**
 * An object deleted at the source while an exit runs, end to end: the built CLI runs an `s3.export`
 * against the run's radosgw through a proxy that deletes `obj-14.bin` just before the export reads it.
 * The console, the record's checklist and findings, and report.html all name the key; `acceptDeletions`
 * turns the verdict to PASS and still names it.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useS3Lab } from '../lab/use-heavy-servers.js';
import { deleteBeforeRead, seed, startTamperProxy } from '../runners/s3/export-support.js';
import { createBucket, labClient } from '../runners/s3/support.js';
import { drillbook, readRecord } from './support.js';

const lab = useS3Lab();
let client: S3Client;
let dir: string;
const cleanups: (() => Promise<void>)[] = [];
const keys = Array.from({ length: 20 }, (_, i) => `obj-${String(i).padStart(2, '0')}.bin`);

/** A bucket of 20 objects, exported by the CLI while obj-14.bin is deleted; the run's output, record and report. */
async function exitRun(label: string, acceptDeletions: boolean) {
  const bucket = await createBucket(client);
  cleanups.push(() => bucket.remove());
  await seed(client, bucket.name, Object.fromEntries(keys.map((key) => [key, `body of ${key}`])));
  const proxy = await startTamperProxy(lab().endpoint, bucket.name, { before: deleteBeforeRead(client, bucket.name, 'obj-14.bin') });
  cleanups.push(() => proxy.close());
  const file = join(dir, `${label}.yaml`);
  writeFileSync(
    file,
    `version: 1
kind: exit
id: ${label}
title: Objects leave while a workload deletes one
owner: tests
objectives: {}
exit: { require: [complete] }
secrets:
  keyId: { env: T_S3_KEY_ID }
  secret: { env: T_S3_SECRET }
targets:
  provider:
    s3: { bucket: ${bucket.name}, region: ${lab().region}, endpoint: "${proxy.endpoint}", accessKeyIdSecret: keyId, secretAccessKeySecret: secret }
steps:
  - id: export-objects
    uses: s3.export
    on: provider
    with: { to: { dir: export-${label} }, concurrency: 4, acceptDeletions: ${acceptDeletions} }
`,
  );
  const store = join(dir, `reports-${label}`);
  const result = await drillbook(['run', file, '--store', store], { env: { T_S3_KEY_ID: lab().accessKeyId, T_S3_SECRET: lab().secretAccessKey } });
  const runs = join(store, label);
  const bundle = join(runs, readdirSync(runs).find((name) => name !== 'run.lock') ?? '');
  return { result, record: readRecord(bundle), html: readFileSync(join(bundle, 'report.html'), 'utf8') };
}

describe('an object deleted at the source during an exit', () => {
  beforeAll(() => {
    client = labClient(lab());
    dir = mkdtempSync(join(tmpdir(), 'drillbook-deletions-'));
  });
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
    client.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is a gap: FAIL, and the console, the checklist, the findings and report.html name it', async () => {
    const { result, record, html } = await exitRun('strict', false);
    expect(result.exitCode, result.all).toBe(1);
    expect(record.verdict).toBe('FAIL');
    const complete = record.exitReadiness?.checklist.find((item) => item.check === 'complete');
    expect(complete?.status).toBe('missed');
    expect(complete?.summary).toContain('export-objects: 1 vanished ("obj-14.bin"): listed at the start, deleted at the source before it was read');
    expect(record.exitReadiness?.findings).toContain('export-objects: 1 object listed at the start but deleted at the source before it was read (not exported): "obj-14.bin"');
    expect(record.exitReadiness?.exports[0]).toMatchObject({ listed: { objects: 20 }, exported: { objects: 19 }, reconciliation: { vanished: 1 }, deletionsAccepted: false });
    expect(result.stdout).toMatch(/export complete: missed — .*1 vanished \("obj-14\.bin"\)/);
    expect(html).toContain('1 vanished (&quot;obj-14.bin&quot;): listed at the start, deleted at the source before it was read');
    expect(html).toContain('0 failed, 1 vanished</td>');
  });

  it('with acceptDeletions: PASS, and the deleted key is still named', async () => {
    const { result, record, html } = await exitRun('accepting', true);
    expect(result.exitCode, result.all).toBe(0);
    expect(record.verdict).toBe('PASS');
    const complete = record.exitReadiness?.checklist.find((item) => item.check === 'complete');
    expect(complete).toMatchObject({
      status: 'met',
      summary: '19 objects (342 B) exported; fresh listing at the end: 0 missing, 0 changed; deleted at the source during the export, accepted (acceptDeletions): export-objects: 1 vanished ("obj-14.bin")',
    });
    expect(record.exitReadiness?.findings).toContain(
      'export-objects: 1 object listed at the start but deleted at the source before it was read (not exported); accepted (acceptDeletions): "obj-14.bin"',
    );
    expect(result.stdout).toContain('accepted (acceptDeletions): export-objects: 1 vanished ("obj-14.bin")');
    expect(html).toContain('1 vanished (deletions at the source accepted: acceptDeletions)');
  });
});
