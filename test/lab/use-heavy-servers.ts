/**
 * The radosgw and PostgreSQL of the test run (heavy-servers.ts), or, when the config does not register
 * that globalSetup, ones started for this file (before its tests, removed after them).
 */
import { afterAll, beforeAll, inject } from 'vitest';
import { startPostgresLab, stopPostgresLab, type PostgresLabFacts } from './postgres-lab.js';
import { startS3Lab, stopS3Lab, type S3LabFacts } from './s3-lab.js';

function useServer<T extends { dir: string }>(provided: T | undefined, start: () => Promise<T>, stop: (lab: T) => Promise<void>, what: string): () => T {
  let lab = provided;
  let own = false;
  beforeAll(async () => {
    if (lab) return;
    lab = await start();
    own = true;
  });
  afterAll(async () => {
    if (own && lab) await stop(lab);
  });
  return () => {
    if (!lab) throw new Error(`the ${what} lab is not running`);
    return lab;
  };
}

/** The run's radosgw: endpoint, region and the S3 user's keys. */
export function useS3Lab(): () => S3LabFacts {
  return useServer(inject('s3Lab'), () => startS3Lab(), stopS3Lab, 'S3');
}

/** The run's PostgreSQL: host, port, superuser password and binaries. */
export function usePostgresLab(): () => PostgresLabFacts {
  return useServer(inject('pgLab'), () => startPostgresLab(), stopPostgresLab, 'PostgreSQL');
}
