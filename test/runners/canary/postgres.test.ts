import { randomBytes } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { psql } from '../../lab/postgres-lab.js';
import { usePostgresLab } from '../../lab/use-heavy-servers.js';
import { expectWithinUncertainty, read, startWriter } from './support.js';

const lab = usePostgresLab();
const database = `canary_${randomBytes(4).toString('hex')}`;
const connection = () => ({ host: lab().host, port: lab().port, user: lab().user, database, passwordSecret: 'PGPASS', psql: `${lab().binDir}/psql` });
const secrets = () => ({ PGPASS: lab().password });

describe('canary in PostgreSQL', () => {
  beforeAll(async () => {
    await psql(lab(), 'postgres', `CREATE DATABASE ${database}`);
  });
  afterAll(async () => {
    await psql(lab(), 'postgres', `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  });

  it('measures the RPO of a table copy taken at a known time, and the server clock offset', async () => {
    const writer = startWriter({ postgres: connection(), interval: '100ms' }, { secrets: secrets() });
    await sleep(1_000);
    const cutStart = Date.now();
    await psql(lab(), database, 'CREATE TABLE replica AS SELECT * FROM drillbook_canary');
    const cutEnd = Date.now();
    // A dropped connection is survived: psql is started again at the next marker.
    const terminated = await psql(lab(), 'postgres', "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'drillbook-canary'");
    expect(terminated).toBe('1');
    const cutOff = new Date().toISOString();
    await sleep(600);
    const t0 = Date.now();
    const written = await writer.stop();
    expect(written.error).toBeUndefined();
    const summary = JSON.parse(writer.attempt.stdout.bytes().toString('utf8')) as Record<string, unknown>;
    expect(summary['store']).toBe(`postgres ${database} table drillbook_canary`);
    expect(summary['markersWritten']).toBeGreaterThanOrEqual(8);
    const rows = Number(await psql(lab(), database, 'SELECT count(*) FROM drillbook_canary'));
    // A failed write (its connection killed) or one cut short by the stop may have committed anyway.
    expect(summary['failures']).toBeLessThanOrEqual(1);
    expect(rows).toBeGreaterThanOrEqual(summary['markersWritten'] as number);
    expect(rows).toBeLessThanOrEqual((summary['markersWritten'] as number) + (summary['failures'] as number) + (summary['markersUnconfirmed'] as number));
    expect(Number(await psql(lab(), database, `SELECT count(*) FROM drillbook_canary WHERE written_at > '${cutOff}'`))).toBeGreaterThanOrEqual(2);

    const { observation, result } = await read({ postgres: { ...connection(), table: 'replica' }, t0: new Date(t0).toISOString() }, { secrets: secrets() });
    expect(observation.error).toBeUndefined();
    expectWithinUncertainty(result, t0, cutStart, cutEnd);
    expect(result['markersFound']).toBe(Number(await psql(lab(), database, 'SELECT count(*) FROM replica')));
    // Same machine: the database's clock differs from the marker stamps by the write delay only.
    expect(Math.abs(observation.details?.['storeClockOffsetMs'] as number)).toBeLessThan(500);
  });

  it('names the secret that is missing, and the database error', async () => {
    const noPassword = await read({ postgres: connection(), t0: new Date().toISOString() });
    expect(noPassword.observation.error).toEqual({ code: 'CANARY_NO_PASSWORD', message: 'canary.read: secret PGPASS (the database password) has no value' });
    const wrong = await read({ postgres: connection(), t0: new Date().toISOString() }, { secrets: { PGPASS: 'not-the-password' } });
    expect(wrong.observation.error?.code).toBe('CANARY_STORE');
    expect(wrong.observation.error?.message).toMatch(/^canary\.read: reading postgres canary_[0-9a-f]+ table drillbook_canary: .*password authentication failed for user "postgres"$/);
    expect(JSON.stringify(wrong.observation)).not.toContain('not-the-password');
  });

  it('gives up on a store that accepts connections and never answers, and stops at once', async () => {
    // A partitioned database: TCP connects, nothing comes back.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const writer = startWriter({ postgres: { ...connection(), port }, interval: '100ms' }, { secrets: secrets() });
      await sleep(2_600);
      const stoppedAt = performance.now();
      const observation = await writer.stop();
      expect(performance.now() - stoppedAt).toBeLessThan(1_000);
      expect(observation.error?.code).toBe('CANARY_NO_MARKER');
      expect(observation.details).toMatchObject({ markersWritten: 0, lastError: 'The operation was aborted due to timeout' });
      expect(observation.details?.['failures']).toBeGreaterThanOrEqual(1);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
