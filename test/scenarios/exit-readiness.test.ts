/**
 * The exit sample (scenarios/exit-readiness.yaml) run by the built CLI against the run's radosgw,
 * PostgreSQL and the SSH lab's loopback host: the seeded customer bucket and the shop database leave,
 * are reconciled, classified and re-imported on neutral ground.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/evidence/run-record.js';
import { drillbook } from '../cli/support.js';
import { psql } from '../lab/postgres-lab.js';
import { usePostgresLab, useS3Lab } from '../lab/use-heavy-servers.js';
import { useSshLab } from '../lab/use-ssh-lab.js';
import { labClient, removeBucket } from '../runners/s3/support.js';

const s3Lab = useS3Lab();
const pgLab = usePostgresLab();
const sshLab = useSshLab();
const suffix = randomBytes(4).toString('hex');
const provider = `t-exit-data-${suffix}`;
const neutral = `t-exit-neutral-${suffix}`;
const backups = `t-exit-backups-${suffix}`;
const source = `shop_${suffix}`;
const neutralDb = `shop_exit_${suffix}`;
let dir: string;
let scenarioFile: string;
let client: S3Client;

const credentials = () => ({
  DRILLBOOK_PG_PASSWORD: pgLab().password,
  DRILLBOOK_S3_ACCESS_KEY_ID: s3Lab().accessKeyId,
  DRILLBOOK_S3_SECRET_ACCESS_KEY: s3Lab().secretAccessKey,
});

async function run(label: string): Promise<{ exitCode: number | undefined; output: string; record: RunRecord; bundle: string }> {
  const store = join(dir, `reports-${label}`);
  const result = await drillbook(
    ['run', scenarioFile, '--store', store, '--ssh-config', sshLab().sshConfig, '--var', `pgPort=${pgLab().port}`, '--var', `source=${source}`,
      '--var', `neutralDb=${neutralDb}`, '--var', `exportDir=export-${label}`],
    { env: credentials() },
  );
  const runDir = join(store, 'exit-readiness');
  const bundle = join(runDir, readdirSync(runDir).filter((name) => name !== 'run.lock')[0] ?? '');
  const statement = JSON.parse(readFileSync(join(bundle, 'record.json'), 'utf8')) as { predicate: RunRecord };
  return { exitCode: result.exitCode, output: String(result.all), record: statement.predicate, bundle };
}

describe('scenarios/exit-readiness.yaml', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'drillbook-exit-'));
    symlinkSync(resolve('scenarios/lab'), join(dir, 'lab'));
    writeFileSync(join(dir, 'pg.json'), JSON.stringify(pgLab()));
    writeFileSync(join(dir, 's3.json'), JSON.stringify(s3Lab()));
    await execa(process.execPath, ['scenarios/lab/pg-backup-job.mjs', join(dir, 'pg.json'), join(dir, 's3.json'), backups, source]);
    await execa(process.execPath, ['scenarios/lab/exit-seed.mjs', s3Lab().endpoint, provider, '--empty', neutral], { env: credentials() });
    const text = readFileSync('scenarios/exit-readiness.yaml', 'utf8')
      .replace('s3Endpoint: http://127.0.0.1:17480', `s3Endpoint: ${s3Lab().endpoint}`)
      .replace('bucket: shop-data', `bucket: ${provider}`)
      .replace('bucket: exit-reimport', `bucket: ${neutral}`)
      .replace('knownHosts: ../.lab/ssh/known_hosts', `knownHosts: ${sshLab().knownHosts}`);
    scenarioFile = join(dir, 'exit-readiness.yaml');
    writeFileSync(scenarioFile, text);
    client = labClient(s3Lab());
  }, 120_000);
  afterAll(async () => {
    await psql(pgLab(), 'postgres', `DROP DATABASE IF EXISTS ${source} WITH (FORCE)`);
    await psql(pgLab(), 'postgres', `DROP DATABASE IF EXISTS ${neutralDb} WITH (FORCE)`);
    for (const bucket of [provider, neutral, backups]) await removeBucket(client, bucket);
    client.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('exports every object and the database, proves them on neutral ground, and lists the closed formats: PARTIAL', async () => {
    const { exitCode, output, record, bundle } = await run('first');
    const step = (id: string) => [...record.steps, ...record.cleanup].find((s) => s.id === id);
    expect(record.steps.filter((s) => s.phase === 'steps').map((s) => [s.id, s.status]), output).toEqual([
      ['export-objects', 'passed'],
      ['dump-database', 'passed'],
      ['reimport-objects', 'passed'],
      ['create-neutral-db', 'passed'],
      ['restore-dump', 'passed'],
      ['reconcile-dump', 'passed'],
    ]);
    // The three legacy blobs are the only finding: open formats missed, nothing else.
    expect(exitCode).toBe(1);
    expect(record.verdict).toBe('PARTIAL');
    expect(record.verdictReasons).toEqual([expect.stringMatching(/open formats/)]);

    const readiness = record.exitReadiness;
    const checklist = Object.fromEntries((readiness?.checklist ?? []).map((c) => [c.check, [c.status, c.basis]]));
    expect(checklist).toEqual({
      complete: ['met', 'measured'],
      integral: ['met', 'measured'],
      'open-formats': ['missed', 'measured'],
      metadata: ['met', 'measured'],
      reimport: ['met', 'measured'],
      'within-period': ['met', 'declared'],
      cost: ['met', 'declared'],
    });
    const [exported] = readiness?.exports ?? [];
    expect(exported?.listed.objects).toBeGreaterThan(2_900);
    expect(exported?.exported).toEqual(exported?.listed);
    expect(exported?.reconciliation).toEqual({ missing: 0, extra: 0, changed: 0, corrupted: 0, failed: 0, vanished: 0 });
    expect(readiness?.dumps.map((d) => [d.stepId, d.format])).toEqual([['dump-database', 'pg-dump']]);
    const closed = (readiness?.formats ?? []).filter((f) => !f.open);
    expect(closed.map((f) => [f.format, f.objects])).toEqual([['binary', 3]]);
    expect(readiness?.projection.volumeBasis).toBe('declared');
    expect(readiness?.projection.volumeBytes).toBe(2 * 1024 ** 4);
    expect(readiness?.egress?.estimatedCost).toBeCloseTo((2 * 1024 ** 4 / 1e9) * 0.09, 2);
    expect(record.objectives.exitPeriod).toMatchObject({ status: 'met', targetMs: 30 * 86_400_000 });

    // The manifest is evidence: in the bundle, every awkward key as data, nothing written outside the export.
    const manifestFile = exported?.manifest?.file ?? 'missing';
    const keys = readFileSync(join(bundle, manifestFile), 'utf8').trim().split('\n').map((line) => (JSON.parse(line) as { key: string }).key);
    expect(keys).toHaveLength(exported?.listed.objects ?? -1);
    for (const awkward of ['../../etc/passwd', '/absolute/looking/key.txt', 'a//double//slash.csv', 'Report.CSV', 'report.csv', 'café.txt'.normalize('NFC'), 'café.txt'.normalize('NFD')]) {
      expect(keys).toContain(awkward);
    }
    expect(step('dump-database')?.attempts.at(-1)?.details?.['exit']).toMatchObject({ kind: 'dump', format: 'pg-dump' });
    expect(record.cleanup.map((s) => s.status)).toEqual(['passed', 'passed']);
    expect(existsSync(join(dir, 'export-first'))).toBe(false);
    expect(await psql(pgLab(), 'postgres', `SELECT count(*) FROM pg_database WHERE datname = '${neutralDb}'`)).toBe('0');

    const report = readFileSync(join(bundle, 'report.html'), 'utf8');
    expect(report).toMatch(/exit readiness/i);
    const evidence = readdirSync(bundle, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => readFileSync(join(entry.parentPath, entry.name), 'utf8'))
      .join('\n');
    for (const secret of [pgLab().password, s3Lab().secretAccessKey]) expect(evidence).not.toContain(secret);
  }, 300_000);
});
