/** The marker store a canary step names: a file, an object on its s3 target, or a PostgreSQL table. */
import { resolve } from 'node:path';
import type { AttemptContext } from '../../src/runner-contract.js';
import { StepError } from '../shared/step-error.js';
import type { CanaryStoreOptions } from './definition.js';
import { createFileStore } from './stores/file.js';
import { createPostgresStore } from './stores/postgres.js';
import type { MarkerStore } from './stores/store.js';

/** Opens the store; throws StepError (code and message for the record) when it cannot. */
export async function openMarkerStore(ctx: AttemptContext, options: CanaryStoreOptions, runner: string): Promise<MarkerStore> {
  if (options.file !== undefined) return createFileStore(resolve(ctx.baseDir, options.file), options.file, ctx.baseDir, ctx.protectedPaths);
  if (options.postgres !== undefined) {
    const name = options.postgres.passwordSecret;
    const password = name === undefined ? undefined : ctx.secret?.(name);
    if (name !== undefined && (password === undefined || password === '')) {
      throw new StepError('CANARY_NO_PASSWORD', `${runner}: secret ${name} (the database password) has no value`);
    }
    return createPostgresStore(options.postgres, password, ctx.env);
  }
  if (options.s3 !== undefined) {
    // Only now: the AWS SDK is loaded for canaries that need it.
    const [{ openS3Session }, { createS3Store }] = await Promise.all([import('../shared/s3/client.js'), import('./stores/s3.js')]);
    return createS3Store(openS3Session(ctx, runner), options.s3.key);
  }
  throw new StepError('INVALID_OPTIONS', `${runner}: name a marker store: file, s3 or postgres`);
}
