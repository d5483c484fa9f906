/** Starting and stopping the PostgreSQL lab (scripts/lab/postgres.sh) from TypeScript: tests and benches. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

/** Connection facts of a running lab server (its lab.json). Plain data: it crosses from globalSetup to tests. */
export interface PostgresLabFacts {
  dir: string;
  host: string;
  port: number;
  user: string;
  password: string;
  socketDir: string;
  /** Folder of the server's own client and server programs (psql, pg_dump, pg_restore …). */
  binDir: string;
  log: string;
}

const script = fileURLToPath(new URL('../../scripts/lab/postgres.sh', import.meta.url));

/** Start a throwaway PostgreSQL on 127.0.0.1 (~1.5 s), or a streaming replica of a running lab server. */
export async function startPostgresLab(options: { replicaOf?: Pick<PostgresLabFacts, 'dir'> } = {}): Promise<PostgresLabFacts> {
  // The owner: a later start removes this lab if this process dies before its teardown.
  const replica = options.replicaOf ? ['--replica-of', join(options.replicaOf.dir, 'lab.json')] : [];
  const { stdout } = await execa(script, ['up', '--owner', String(process.pid), ...replica], { stderr: 'inherit' });
  return JSON.parse(readFileSync(stdout.trim().split('\n').at(-1) ?? '', 'utf8')) as PostgresLabFacts;
}

/** Stops the server by pid and removes its folder. Idempotent; never throws. */
export async function stopPostgresLab(lab: Pick<PostgresLabFacts, 'dir'>): Promise<void> {
  await execa(script, ['down', lab.dir], { reject: false, stdio: 'inherit' });
}

/** Run SQL as the lab's superuser over TCP; resolves with psql's unaligned, tuples-only output. */
export async function psql(lab: PostgresLabFacts, database: string, sql: string): Promise<string> {
  const { stdout } = await execa(
    `${lab.binDir}/psql`,
    ['-X', '-v', 'ON_ERROR_STOP=1', '-At', '-h', lab.host, '-p', String(lab.port), '-U', lab.user, '-d', database, '-c', sql],
    { env: { PGPASSWORD: lab.password, PGCONNECT_TIMEOUT: '10' } },
  );
  return stdout;
}
