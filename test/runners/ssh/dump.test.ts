/**
 * `ssh.dump` against the lab's loopback sshd (and, for a real `pg_dump -Fc`, the run's PostgreSQL, which
 * the loopback sshd reaches on 127.0.0.1: both live in the root network namespace).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSshDumpRunner } from '../../../runners/ssh/dump.js';
import type { DumpFacts } from '../../../src/exit-readiness/facts.js';
import { psql } from '../../lab/postgres-lab.js';
import { usePostgresLab } from '../../lab/use-heavy-servers.js';
import { labHost } from '../../lab/lab.js';
import { useSshLab } from '../../lab/use-ssh-lab.js';
import { livePidsInGroup, until } from '../attempt-context.js';
import { expectPlantsRefused } from '../destination-plants.js';
import { labSettings, loopbackOptions, sshAttempt, sshTarget } from './support.js';

const lab = useSshLab();
const pg = usePostgresLab();
const scratch = mkdtempSync(join(tmpdir(), 'drillbook-ssh-dump-'));
let runner: ReturnType<typeof createSshDumpRunner>;
let dir: string;
let folders = 0;

beforeAll(() => {
  runner = createSshDumpRunner(labSettings(lab()));
});
afterAll(async () => {
  await runner.close?.();
  rmSync(scratch, { recursive: true, force: true });
});
beforeEach(() => {
  folders += 1;
  dir = join(scratch, `case-${folders}`);
});

const loopback = () => sshTarget('db', loopbackOptions(lab()));
const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');
/** Every name under `dir`, folders included (an absent folder is empty). */
const filesIn = (folder: string): string[] => {
  try {
    return readdirSync(folder, { recursive: true, encoding: 'utf8' }).sort();
  } catch {
    return [];
  }
};
const report = (attempt: ReturnType<typeof sshAttempt>): Record<string, unknown> => JSON.parse(attempt.stdout.bytes().toString('utf8')) as Record<string, unknown>;

describe('ssh.dump', () => {
  it('streams 3 MB of random bytes into the file whole: the remote SHA-256, the local one and the report agree', async () => {
    // The host prints the digest of what it sends on stderr, so both ends are measured independently.
    const script = 'f=$(mktemp); head -c 3000000 /dev/urandom >"$f"; sha256sum "$f" | cut -d" " -f1 >&2; cat "$f"; rm -f "$f"';
    const attempt = sshAttempt({ argv: ['sh', '-c', script], options: { file: 'exports/db/random.bin' }, target: loopback(), baseDir: dir });
    const observation = await runner.run(attempt.ctx);
    expect(observation.error).toBeUndefined();
    expect(observation.exitCode).toBe(0);
    const remoteSha = observation.stderr?.text.trim() ?? '';
    expect(remoteSha).toMatch(/^[0-9a-f]{64}$/);
    expect(attempt.stderr.bytes().toString().trim()).toBe(remoteSha);

    const file = readFileSync(join(dir, 'exports/db/random.bin'));
    expect(file.length).toBe(3_000_000);
    expect(sha256(file)).toBe(remoteSha);
    expect(statSync(join(dir, 'exports/db/random.bin')).mode & 0o777).toBe(0o600);
    expect(filesIn(dir)).toEqual(['exports', 'exports/db', 'exports/db/random.bin']);

    const printed = report(attempt);
    expect(printed).toEqual({
      file: 'exports/db/random.bin',
      written: true,
      bytes: 3_000_000,
      sha256: remoteSha,
      format: 'binary',
      host: '127.0.0.1',
      exitCode: 0,
      durationMs: printed['durationMs'],
    });
    expect(observation.stdout?.text).toBe(attempt.stdout.bytes().toString('utf8'));
    const facts: DumpFacts = { kind: 'dump', file: 'exports/db/random.bin', host: '127.0.0.1', bytes: 3_000_000, sha256: remoteSha, format: 'binary', durationMs: printed['durationMs'] as number };
    expect(observation.details?.['exit']).toEqual(facts);
    expect(observation.details).toMatchObject({ host: '127.0.0.1', user: lab().user });
    const [process] = attempt.processes;
    expect(process).toMatchObject({ runner: 'ssh.dump', host: '127.0.0.1', argv: ['sh', '-c', script] });
  });

  it('classifies text by content, the name breaking the tie (one column named .csv), with env and cwd applied', async () => {
    const attempt = sshAttempt({
      argv: ['sh', '-c', 'echo "$HEADER"; seq 1 200000; pwd >&2'],
      options: { file: 'ids.csv', env: { HEADER: 'id' }, cwd: '/tmp' },
      target: loopback(),
      baseDir: dir,
    });
    const observation = await runner.run(attempt.ctx);
    expect(observation.error).toBeUndefined();
    const expected = `id\n${Array.from({ length: 200_000 }, (_, i) => `${i + 1}\n`).join('')}`;
    expect(readFileSync(join(dir, 'ids.csv'), 'utf8')).toBe(expected);
    expect(report(attempt)).toMatchObject({ bytes: Buffer.byteLength(expected), sha256: sha256(expected), format: 'csv' });
    expect(observation.stderr?.text).toBe('/tmp\n');
  });

  it('a command that exits non-zero after writing leaves no file, not even a partial one, and fails the step', async () => {
    const attempt = sshAttempt({
      argv: ['sh', '-c', 'seq 1 100000; echo "pg_dump: error: connection to server lost" >&2; exit 2'],
      options: { file: 'failed.sql' },
      target: loopback(),
      baseDir: dir,
    });
    const observation = await runner.run(attempt.ctx);
    expect(observation.error).toEqual({ code: 'DUMP_FAILED', message: 'ssh.dump: sh exited 2 on 127.0.0.1; no file was written' });
    expect(observation.exitCode).toBe(2);
    expect(observation.stderr?.text).toBe('pg_dump: error: connection to server lost\n');
    expect(filesIn(dir)).toEqual([]);
    expect(report(attempt)).toMatchObject({ file: 'failed.sql', written: false, exitCode: 2 });
    expect(observation.details?.['exit']).toBeUndefined();
  });

  it('output still open after the command exited (a background writer) may be cut: no file, the step fails', async () => {
    const attempt = sshAttempt({ argv: ['sh', '-c', 'seq 1 1000; (sleep 3; echo late) & exit 0'], options: { file: 'outlived.txt' }, target: loopback(), baseDir: dir });
    const observation = await runner.run(attempt.ctx);
    expect(observation.exitCode).toBe(0);
    expect(observation.error).toEqual({
      code: 'DUMP_INCOMPLETE',
      message: 'ssh.dump: the output of sh on 127.0.0.1 was still open after it exited and was cut; no file was written',
    });
    expect(filesIn(dir)).toEqual([]);
  });

  it('a stopped step kills the remote process group mid-stream and leaves no temporary file', async () => {
    const attempt = sshAttempt({ argv: ['sh', '-c', 'cat /dev/zero & cat /dev/zero & wait'], options: { file: 'endless.bin' }, target: loopback(), baseDir: dir });
    const running = runner.run(attempt.ctx);
    // Streaming has begun once the temporary file beside the destination holds a few MB.
    await until(() => filesIn(dir).some((name) => name.endsWith('.partial') && statSync(join(dir, name)).size > 4_000_000), 20_000);
    const [process] = attempt.processes;
    if (!process) throw new Error('no process reported');
    expect(livePidsInGroup(process.pgid).length).toBe(3);
    attempt.controller.abort(new Error('timeout'));
    const observation = await running;
    expect(observation.error).toEqual({ code: 'CANCELLED', message: 'ssh.dump: the step was stopped while sh ran on 127.0.0.1; no file was written' });
    const members = livePidsInGroup(process.pgid).length;
    expect(members).toBe(0);
    expect(observation.details?.['stop']).toMatchObject({ method: 'session+tree+marker', signalsSent: ['TERM'], unconfirmed: [], allGone: true });
    expect((observation.details?.['stop'] as { gone: number[] }).gone).toHaveLength(3);
    expect(filesIn(dir)).toEqual([]);
  });

  it('recover stops a leftover dump through this runner (journalled as ssh.dump)', async () => {
    const attempt = sshAttempt({ argv: ['sh', '-c', 'cat /dev/zero'], options: { file: 'leftover.bin' }, target: loopback(), baseDir: dir });
    const running = runner.run(attempt.ctx);
    await until(() => attempt.processes.length > 0, 10_000);
    const [process] = attempt.processes;
    if (!process) throw new Error('no process reported');
    expect(process.runner).toBe('ssh.dump');
    const log = pino({ level: 'silent' });
    expect(await runner.stopLeftover?.(process, log, { target: loopback(), options: { file: 'leftover.bin' }, baseDir: dir })).toBe(true);
    expect(livePidsInGroup(process.pgid)).toEqual([]);
    const observation = await running;
    expect(observation.signal).toBe('TERM');
    expect(observation.error).toEqual({ code: 'DUMP_FAILED', message: 'ssh.dump: sh was ended by signal TERM on 127.0.0.1; no file was written' });
    expect(filesIn(dir)).toEqual([]);
  });

  it('an existing file fails the step before anything runs; overwrite: true replaces it', async () => {
    writeFileSync(join(scratch, `existing-${folders}.sql`), 'the dump of last week\n');
    const file = `../existing-${folders}.sql`;
    const refused = sshAttempt({ argv: ['sh', '-c', 'echo "SELECT 1;"'], options: { file }, target: loopback(), baseDir: dir });
    const observation = await runner.run(refused.ctx);
    expect(observation.error).toEqual({ code: 'DUMP_FILE_EXISTS', message: `ssh.dump: ${file} already exists (set overwrite: true to replace it); nothing was run` });
    expect(refused.processes).toEqual([]);
    expect(readFileSync(join(scratch, `existing-${folders}.sql`), 'utf8')).toBe('the dump of last week\n');

    const replacing = sshAttempt({ argv: ['sh', '-c', 'echo "CREATE TABLE t (a int);"'], options: { file, overwrite: true }, target: loopback(), baseDir: dir });
    expect((await runner.run(replacing.ctx)).error).toBeUndefined();
    expect(readFileSync(join(scratch, `existing-${folders}.sql`), 'utf8')).toBe('CREATE TABLE t (a int);\n');
    expect(report(replacing)).toMatchObject({ format: 'sql', written: true });
    expect(filesIn(scratch).filter((name) => name.includes('.partial'))).toEqual([]);
  });

  it('makes its folders 0700; a link or someone else’s folder on the way, or a link at `file`, fails the step before anything runs', async () => {
    await expectPlantsRefused('ssh.dump', dir, async (file) => {
      const attempt = sshAttempt({ argv: ['sh', '-c', 'echo "SELECT 1;"'], options: { file, overwrite: true }, target: loopback(), baseDir: dir });
      const observation = await runner.run(attempt.ctx);
      // A refused destination is refused before the command runs.
      expect(attempt.processes.length > 0).toBe(observation.error === undefined);
      return observation.error;
    });
  });

  it('a group target is refused: a dump is one file from one host', async () => {
    const h1 = labHost(lab(), 'h1');
    const h2 = labHost(lab(), 'h2');
    const group = sshTarget('replicas', {
      user: lab().user,
      identityFile: lab().clientKey,
      agent: false,
      hosts: [{ host: h1.address, hostKey: h1.hostKey }, { host: h2.address, hostKey: h2.hostKey }],
    });
    const attempt = sshAttempt({ argv: ['true'], options: { file: 'x.bin' }, target: group, baseDir: dir });
    const observation = await runner.run(attempt.ctx);
    expect(observation.error).toEqual({ code: 'SSH_CONFIG', message: 'ssh.dump: target replicas is a group of 2 hosts; a dump is one file from one host: name a single host' });
    expect(attempt.processes).toEqual([]);
  });

  it('a real pg_dump -Fc over SSH arrives whole, is classified pg-dump, and pg_restore reads it', async () => {
    const db = `dump_${folders}_${Date.now().toString(36)}`;
    await psql(pg(), 'postgres', `CREATE DATABASE ${db}`);
    await psql(pg(), db, "CREATE TABLE invoices (id int PRIMARY KEY, customer text); INSERT INTO invoices SELECT g, 'customer ' || g FROM generate_series(1, 5000) g");
    const attempt = sshAttempt({
      argv: [`${pg().binDir}/pg_dump`, '-Fc', '-h', pg().host, '-p', String(pg().port), '-U', pg().user, '-d', db],
      options: { file: `exports/${db}.dump`, env: { PGPASSWORD: pg().password, PGCONNECT_TIMEOUT: '10' } },
      target: loopback(),
      baseDir: dir,
    });
    const observation = await runner.run(attempt.ctx);
    expect(observation.error).toBeUndefined();
    const path = join(dir, `exports/${db}.dump`);
    const file = readFileSync(path);
    expect(file.subarray(0, 5).toString('latin1')).toBe('PGDMP');
    expect(observation.details?.['exit']).toMatchObject({ kind: 'dump', format: 'pg-dump', bytes: file.length, sha256: sha256(file) });
    const listing = execFileSync(`${pg().binDir}/pg_restore`, ['--list', path], { encoding: 'utf8' });
    expect(listing).toMatch(/TABLE public invoices/);
    expect(listing).toMatch(/TABLE DATA public invoices/);
  });
});
