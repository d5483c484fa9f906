import { execa } from 'execa';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { psql } from './postgres-lab.js';
import { usePostgresLab, useS3Lab } from './use-heavy-servers.js';

const s3Lab = useS3Lab();
const pgLab = usePostgresLab();

/** Listening TCP sockets of one process name, as `ss` reports them (local address:port). */
async function listening(processName: string): Promise<string[]> {
  const { stdout } = await execa('ss', ['-Htlnp']);
  return stdout
    .split('\n')
    .filter((line) => line.includes(`(("${processName}"`))
    .map((line) => line.split(/\s+/)[3] ?? '');
}

describe('lab servers', () => {
  it('radosgw answers signed S3 requests on loopback', async () => {
    const lab = s3Lab();
    expect(lab.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const client = new S3Client({
      endpoint: lab.endpoint,
      region: lab.region,
      forcePathStyle: true,
      credentials: { accessKeyId: lab.accessKeyId, secretAccessKey: lab.secretAccessKey },
    });
    try {
      const listed = await client.send(new ListBucketsCommand({}));
      expect(listed.$metadata.httpStatusCode).toBe(200);
    } finally {
      client.destroy();
    }
  });

  it('PostgreSQL runs as postgres on its own port, password required over TCP', async () => {
    const lab = pgLab();
    expect(await psql(lab, 'postgres', 'select current_user')).toBe('postgres');
    expect(await psql(lab, 'postgres', 'show port')).toBe(String(lab.port));
    const wrong = await execa(`${lab.binDir}/psql`, ['-X', '-h', lab.host, '-p', String(lab.port), '-U', 'postgres', '-c', 'select 1'], {
      env: { PGPASSWORD: 'not-the-password' },
      reject: false,
    });
    expect(wrong.exitCode).toBe(2);
    expect(wrong.stderr).toContain('password authentication failed');
  });

  it('nothing of the lab listens outside 127.0.0.1', async () => {
    s3Lab();
    pgLab();
    const sockets = (await Promise.all(['ceph-mon', 'ceph-osd', 'radosgw', 'postgres'].map(listening))).flat();
    expect(sockets.length).toBeGreaterThanOrEqual(4);
    for (const socket of sockets) expect(socket).toMatch(/^127\.0\.0\.1:\d+$/);
  });
});
