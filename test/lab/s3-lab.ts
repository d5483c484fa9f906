/** Starting and stopping the S3 lab (scripts/lab/radosgw.sh) from TypeScript: tests and benches. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

/** Connection facts of a running radosgw (its lab.json). Plain data: it crosses from globalSetup to tests. */
export interface S3LabFacts {
  dir: string;
  /** `http://127.0.0.1:PORT`: an IP, never `localhost`, as S3 clients need for path-style requests. */
  endpoint: string;
  port: number;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

const script = fileURLToPath(new URL('../../scripts/lab/radosgw.sh', import.meta.url));

/** Start a throwaway Ceph (mon, memstore OSD, radosgw) on loopback; ~5 s. */
export async function startS3Lab(options: { memstoreBytes?: number } = {}): Promise<S3LabFacts> {
  // The owner: a later start removes this lab if this process dies before its teardown.
  const args = ['--owner', String(process.pid), ...(options.memstoreBytes === undefined ? [] : ['--memstore-bytes', String(options.memstoreBytes)])];
  const { stdout } = await execa(script, ['up', ...args], { stderr: 'inherit' });
  return JSON.parse(readFileSync(stdout.trim().split('\n').at(-1) ?? '', 'utf8')) as S3LabFacts;
}

/** Stops the daemons by pid and removes the folder. Idempotent; never throws (a teardown must not hide a failure). */
export async function stopS3Lab(lab: Pick<S3LabFacts, 'dir'>): Promise<void> {
  await execa(script, ['down', lab.dir], { reject: false, stdio: 'inherit' });
}
