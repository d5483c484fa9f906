/**
 * vitest globalSetup: one radosgw and one PostgreSQL for the whole test run, torn down at the end (also
 * after failures). Tests read their facts with `inject('s3Lab')` / `inject('pgLab')` (use-heavy-servers.ts)
 * and make their own bucket or database. When the run is filtered to files that do not use them (no import
 * of use-heavy-servers), nothing starts.
 */
import { readFileSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { startPostgresLab, stopPostgresLab, type PostgresLabFacts } from './postgres-lab.js';
import { startS3Lab, stopS3Lab, type S3LabFacts } from './s3-lab.js';

declare module 'vitest' {
  export interface ProvidedContext {
    s3Lab: S3LabFacts;
    pgLab: PostgresLabFacts;
  }
}

async function heavyTestsSelected(project: TestProject): Promise<boolean> {
  // Not part of vitest's typed API: without it (or without filters) every file may run, so start.
  const filters = (project.vitest as unknown as { filenamePattern?: string[] }).filenamePattern;
  if (!filters?.length) return true;
  const specs = await project.vitest.globTestSpecifications(filters);
  return specs.some((spec) => readFileSync(spec.moduleId, 'utf8').includes('use-heavy-servers'));
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (!(await heavyTestsSelected(project))) return undefined;
  const started = await Promise.allSettled([startS3Lab(), startPostgresLab()]);
  const [s3, pg] = started;
  if (s3.status === 'rejected' || pg.status === 'rejected') {
    if (s3.status === 'fulfilled') await stopS3Lab(s3.value);
    if (pg.status === 'fulfilled') await stopPostgresLab(pg.value);
    throw s3.status === 'rejected' ? s3.reason : (pg as PromiseRejectedResult).reason;
  }
  project.provide('s3Lab', s3.value);
  project.provide('pgLab', pg.value);
  return async () => {
    await Promise.all([stopS3Lab(s3.value), stopPostgresLab(pg.value)]);
  };
}
