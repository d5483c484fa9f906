/** Opening an `s3://` evidence store: location, client, run lock and the local cache of bundle copies. */
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { EvidenceStore } from '../store.js';
import { createS3Client } from './client.js';
import { parseS3Location } from './location.js';
import { createS3RunLock } from './lock.js';
import { createS3Store, s3CacheDir, type S3EvidenceStore } from './store.js';

export async function openS3Store(url: string, env: NodeJS.ProcessEnv = process.env): Promise<S3EvidenceStore> {
  const location = parseS3Location(url, env);
  const client = await createS3Client(location, env);
  const cacheBase = env['XDG_CACHE_HOME'] || join(homedir(), '.cache');
  return createS3Store(location, client, createS3RunLock(location, client), s3CacheDir(cacheBase, location));
}

export function isS3Store(store: EvidenceStore): store is S3EvidenceStore {
  return (store as Partial<S3EvidenceStore>).kind === 's3';
}
