/**
 * The restore sample (scenarios/pg-restore.yaml) run by the built CLI against the run's radosgw and
 * PostgreSQL: the backup job's dumps in a fresh bucket, the scenario pointed at the lab's endpoint.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/evidence/run-record.js';
import { drillbook } from '../cli/support.js';
import { psql } from '../lab/postgres-lab.js';
import { usePostgresLab, useS3Lab } from '../lab/use-heavy-servers.js';
import { labClient, removeBucket } from '../runners/s3/support.js';

const s3Lab = useS3Lab();
const pgLab = usePostgresLab();
const suffix = randomBytes(4).toString('hex');
const bucket = `t-restore-${suffix}`;
const source = `shop_${suffix}`;
const restored = `shop_restored_${suffix}`;
let dir: string;
let scenarioFile: string;
let client: S3Client;

async function run(label: string): Promise<{ exitCode: number | undefined; output: string; record: RunRecord; bundle: string }> {
  const store = join(dir, `reports-${label}`);
  const result = await drillbook(
    ['run', scenarioFile, '--store', store, '--var', `pgPort=${pgLab().port}`, '--var', `source=${source}`, '--var', `restored=${restored}`,
      '--var', `workDir=work-${label}`, '--var', `appPort=${20_000 + Math.floor(Math.random() * 20_000)}`],
    { env: { DRILLBOOK_PG_PASSWORD: pgLab().password, DRILLBOOK_S3_ACCESS_KEY_ID: s3Lab().accessKeyId, DRILLBOOK_S3_SECRET_ACCESS_KEY: s3Lab().secretAccessKey } },
  );
  const runDir = join(store, 'pg-restore');
  const bundle = join(runDir, readdirSync(runDir).filter((name) => name !== 'run.lock')[0] ?? '');
  const statement = JSON.parse(readFileSync(join(bundle, 'record.json'), 'utf8')) as { predicate: RunRecord };
  return { exitCode: result.exitCode, output: String(result.all), record: statement.predicate, bundle };
}

/** Every file of a bundle, as text. */
function bundleText(bundle: string): string {
  return readdirSync(bundle, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => readFileSync(join(entry.parentPath, entry.name), 'utf8'))
    .join('\n');
}

describe('scenarios/pg-restore.yaml', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'drillbook-restore-'));
    // The scenario's helpers are found beside it, as in scenarios/.
    symlinkSync(resolve('scenarios/lab'), join(dir, 'lab'));
    writeFileSync(join(dir, 'pg.json'), JSON.stringify(pgLab()));
    writeFileSync(join(dir, 's3.json'), JSON.stringify(s3Lab()));
    await execa(process.execPath, ['scenarios/lab/pg-backup-job.mjs', join(dir, 'pg.json'), join(dir, 's3.json'), bucket, source]);
    const text = readFileSync('scenarios/pg-restore.yaml', 'utf8')
      .replace('s3Endpoint: http://127.0.0.1:17480', `s3Endpoint: ${s3Lab().endpoint}`)
      .replace('bucket: shop-backups', `bucket: ${bucket}`);
    scenarioFile = join(dir, 'pg-restore.yaml');
    writeFileSync(scenarioFile, text);
    client = labClient(s3Lab());
  });
  afterAll(async () => {
    await psql(pgLab(), 'postgres', `DROP DATABASE IF EXISTS ${source} WITH (FORCE)`);
    await psql(pgLab(), 'postgres', `DROP DATABASE IF EXISTS ${restored} WITH (FORCE)`);
    await removeBucket(client, bucket);
    client.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('restores the newest dump, reconciles it and proves the service: PASS with RTO and RPO measured', async () => {
    const { exitCode, output, record, bundle } = await run('pass');
    expect(exitCode, output).toBe(0);
    expect(record.verdict).toBe('PASS');
    expect(record.objectives.rto).toMatchObject({ status: 'met', targetMs: 120_000 });
    expect(record.objectives.rpo).toMatchObject({ status: 'met', targetMs: 90_000_000, basis: 'measured by find-backup.age' });
    // The RPO exposure is the newest dump's age at T0: seconds here, since the backup job just ran.
    expect(record.objectives.rpo.achievedMs).toBeGreaterThan(0);
    expect(record.objectives.rpo.achievedMs).toBeLessThan(60_000);
    const step = (id: string) => [...record.steps, ...record.cleanup].find((s) => s.id === id);
    expect(step('find-backup')?.outputs['key']).toMatch(/^shop-\d{8}T\d{6}Z\.dump$/);
    expect(step('reconcile')?.outputs['rows']).toBe('21050');
    expect(step('download')?.attempts[0]?.details).toMatchObject({ sha256: step('read-manifest')?.outputs['sha256'] });
    expect(record.cleanup.map((s) => s.status)).toEqual(['passed', 'passed', 'passed']);
    expect(record.targets).toContainEqual({ name: 'backups', kind: 's3', address: `s3://${bucket}/pg/shop/ at ${s3Lab().endpoint}` });
    expect(await psql(pgLab(), 'postgres', `SELECT count(*) FROM pg_database WHERE datname = '${restored}'`)).toBe('0');
    expect(existsSync(join(dir, 'work-pass'))).toBe(false);
    const evidence = bundleText(bundle);
    for (const secret of [pgLab().password, s3Lab().secretAccessKey, s3Lab().accessKeyId]) expect(evidence).not.toContain(secret);
  });

  it('refuses a dump whose digest does not match the backup job’s manifest, and still cleans up', async () => {
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'pg/shop/' }));
    const newest = (listed.Contents ?? []).map((o) => o.Key ?? '').filter((k) => k.endsWith('.dump')).sort().at(-1) ?? '';
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: `${newest}.sha256`, Body: `${'0'.repeat(64)}  tampered\n` }));

    const { exitCode, record } = await run('tampered');
    expect(exitCode).toBe(1);
    expect(record.verdict).toBe('FAIL');
    const download = record.steps.find((s) => s.id === 'download');
    expect(download).toMatchObject({ status: 'failed', reason: 'error' });
    expect(download?.message).toMatch(/^s3\.get: SHA-256 of s3:\/\/[\w.-]+\/pg\/shop\/shop-\d{8}T\d{6}Z\.dump is [0-9a-f]{64}, expected 0{64} \(the store's md5-etag vouches for the bytes: it holds another object than the expected one\); no file was written$/);
    expect(record.steps.find((s) => s.id === 'restore')?.status).not.toBe('passed');
    expect(record.cleanup.map((s) => s.status)).toEqual(['passed', 'passed', 'passed']);
    expect(existsSync(join(dir, 'work-tampered'))).toBe(false);
  });
});
