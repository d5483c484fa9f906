/**
 * `drillbook store push BUNDLE… --store s3://…`: upload sealed bundles to an S3 evidence store, write-once,
 * with Object Lock retention. `drillbook store unlock SCENARIO --store s3://…`: remove a run lock left by a
 * machine that died (after checking that it did).
 */
import { DrillbookError } from '../../errors.js';
import { isS3Store } from '../../register/s3/open.js';
import { pushBundle } from '../../register/s3/push.js';
import type { S3EvidenceStore } from '../../register/s3/store.js';
import { exitCodes } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { retentionFlags } from '../launch-flags.js';
import { openStore } from '../register-flags.js';
import { assertBundleDir } from './verify.js';

export interface StorePushFlags {
  store?: string;
  retentionDays?: string;
  retentionMode?: string;
  json?: boolean;
}

export interface StoreUnlockFlags {
  store?: string;
}

async function s3Store(location: string | undefined): Promise<S3EvidenceStore> {
  const store = await openStore({ ...(location !== undefined && { store: location }) });
  if (!isS3Store(store)) throw new DrillbookError('USAGE', `--store ${store.location}: store push and unlock are for S3 stores (s3://bucket/prefix)`, { hint: 'a local store needs no upload: drillbook run writes into it' });
  return store;
}

export async function storePushCommand(bundles: string[], flags: StorePushFlags, io: CliIo): Promise<number> {
  const store = await s3Store(flags.store);
  const retention = retentionFlags(flags);
  const results = [];
  for (const bundle of bundles) {
    const result = await pushBundle(store, assertBundleDir(bundle), { ...(retention && { retention }) });
    results.push(result);
    if (!flags.json) {
      const kept = result.retention ? `retained until ${result.retention.until} (${result.retention.mode})` : 'NO Object Lock retention: the evidence can be deleted';
      io.stdout(`${store.bundleLocation(result.ref)}: ${result.uploaded.length} files uploaded, ${result.skipped.length} already there; ${kept}\n`);
    }
  }
  if (flags.json) io.stdout(`${JSON.stringify(results.map((r) => ({ bundle: store.bundleLocation(r.ref), ...r })), null, 2)}\n`);
  return exitCodes.ok;
}

export async function storeUnlockCommand(scenario: string, flags: StoreUnlockFlags, io: CliIo): Promise<number> {
  const store = await s3Store(flags.store);
  const former = await store.lock.remove(scenario);
  io.stdout(former ? `removed the run lock of ${scenario}, held by ${former.host} (pid ${former.pid}) since ${former.startedAt}\n` : `${scenario} was not locked\n`);
  return exitCodes.ok;
}
