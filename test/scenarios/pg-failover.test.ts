/**
 * The failover sample (scenarios/pg-failover.yaml) run by the built CLI against a primary and a streaming
 * replica of its own (the drill crashes the primary, so not the run's shared server).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/evidence/run-record.js';
import { drillbook } from '../cli/support.js';
import { psql, startPostgresLab, stopPostgresLab, type PostgresLabFacts } from '../lab/postgres-lab.js';

let primary: PostgresLabFacts;
let replica: PostgresLabFacts;
let store: string;

describe('scenarios/pg-failover.yaml', () => {
  beforeAll(async () => {
    primary = await startPostgresLab();
    replica = await startPostgresLab({ replicaOf: primary });
    store = mkdtempSync(join(tmpdir(), 'drillbook-failover-'));
  });
  afterAll(async () => {
    await Promise.all([stopPostgresLab(primary), stopPostgresLab(replica)]);
    rmSync(store, { recursive: true, force: true });
  });

  it('crashes the primary, promotes the replica and measures the data lost with the canary', async () => {
    const result = await drillbook(
      ['run', 'scenarios/pg-failover.yaml', '--store', store, '--var', `primaryPort=${primary.port}`, '--var', `replicaPort=${replica.port}`, '--var', `primaryLab=${primary.dir}`],
      { env: { DRILLBOOK_PG_PASSWORD: primary.password } },
    );
    expect(result.exitCode, String(result.all)).toBe(0);
    const runs = join(store, 'pg-failover');
    const bundle = join(runs, readdirSync(runs).filter((name) => name !== 'run.lock')[0] ?? '');
    const record = (JSON.parse(readFileSync(join(bundle, 'record.json'), 'utf8')) as { predicate: RunRecord }).predicate;
    expect(record.verdict).toBe('PASS');
    expect(record.objectives.rto).toMatchObject({ status: 'met' });
    expect(record.objectives.rpo).toMatchObject({ status: 'met', basis: 'measured by data-loss.rpo' });

    const watermark = record.steps.find((s) => s.id === 'watermark');
    const dataLoss = record.steps.find((s) => s.id === 'data-loss');
    const written = watermark?.attempts[0]?.details as { markersWritten: number; failures: number };
    const measured = dataLoss?.attempts[0]?.details as { rpoMs: number; uncertaintyMs: number; newestSeq: number; intervalMs: number };
    // Three seconds of markers every 200 ms, all written; asynchronous replication on one machine loses
    // at most the marker in flight, so the newest surviving one is the last or the one before it.
    expect(written.markersWritten).toBeGreaterThanOrEqual(10);
    expect(written.failures).toBe(0);
    expect(measured.intervalMs).toBe(200);
    expect(measured.newestSeq).toBeGreaterThanOrEqual(written.markersWritten - 1);
    expect(record.objectives.rpo.achievedMs).toBe(measured.rpoMs);
    expect(measured.rpoMs).toBeLessThanOrEqual(2 * measured.intervalMs + measured.uncertaintyMs);
    expect(dataLoss?.outputs).toEqual({ rpo: String(measured.rpoMs), uncertainty: String(measured.uncertaintyMs) });

    // The replica is the primary now, and the drill's tables are gone from it.
    expect(await psql(replica, 'postgres', 'SELECT pg_is_in_recovery()')).toBe('f');
    expect(await psql(replica, 'postgres', "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'drillbook_%'")).toBe('0');
  });
});
