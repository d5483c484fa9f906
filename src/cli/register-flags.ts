/** Flags shared by the register's commands (due, history, run-due, schedule, dashboard): store and trust. */
import { delimiter } from 'node:path';
import { DrillbookError } from '../errors.js';
import { loadTrustedKey } from '../evidence/keys.js';
import { createLocalStore } from '../register/local-store.js';
import { isS3Url } from '../register/s3/location.js';
import type { HistoryOptions } from '../register/read-history.js';
import type { EvidenceStore } from '../register/store.js';
import { createFileIndex, defaultIndexFile } from '../register/verify-index.js';
import { parseDuration } from '../scenario/duration.js';
import { parseThreshold } from './commands/verify.js';

export interface StoreFlags {
  store?: string;
  /** Trusted public keys (repeatable); DRILLBOOK_TRUST lists more, separated like PATH. */
  trust?: string[];
  threshold?: string;
  /** Read the store without trusted keys: integrity only, every run marked unverified. */
  unverified?: boolean;
  /** Index file of cached verification results; false with --no-index. */
  index?: string | boolean;
}

/** The evidence store named by `--store`: a folder (default `reports`) or `s3://bucket/prefix`. */
export async function openStore(flags: StoreFlags, env: NodeJS.ProcessEnv = process.env): Promise<EvidenceStore> {
  const location = flags.store ?? 'reports';
  if (isS3Url(location)) {
    const { openS3Store } = await import('../register/s3/open.js');
    return openS3Store(location, env);
  }
  return createLocalStore(location);
}

const noKeysHint =
  'pass --trust KEY.pub (repeatable, or DRILLBOOK_TRUST=a.pub:b.pub), or --unverified to read the store without checking signatures (integrity only; every run is marked unverified)';

/** How runs are read: trusted keys (or the explicit choice to go without), threshold and cache. */
export function historyOptions(flags: StoreFlags, store: EvidenceStore, env: NodeJS.ProcessEnv = process.env, required = true): HistoryOptions {
  const files = [...(flags.trust ?? []), ...(env['DRILLBOOK_TRUST'] ?? '').split(delimiter).filter(Boolean)];
  if (files.length > 0 && flags.unverified) throw new DrillbookError('USAGE', '--unverified and trusted keys exclude each other', { hint: 'drop --unverified to verify signatures' });
  if (files.length === 0 && !flags.unverified && required) {
    throw new DrillbookError('USAGE', 'no trusted keys: without them no run can count as a verified pass', { hint: noKeysHint });
  }
  const mode = files.length === 0 ? 'unverified' : 'verified';
  const options: HistoryOptions = { keys: files.map((file) => loadTrustedKey(file)), threshold: parseThreshold(flags.threshold), mode };
  if (flags.index !== false) options.index = createFileIndex(typeof flags.index === 'string' ? flags.index : defaultIndexFile(store.location, env));
  return options;
}

/** A duration flag such as `--soon 7d`. */
export function parseDurationFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  if (ms === undefined) throw new DrillbookError('USAGE', `--${name} must be a duration such as 7d or 12h, got ${JSON.stringify(value)}`);
  return ms;
}

/** The line every register command prints about trust, so nobody mistakes unverified runs for evidence. */
export function trustLine(options: HistoryOptions): string {
  return options.mode === 'verified'
    ? `verified against ${options.keys.length} trusted key${options.keys.length === 1 ? '' : 's'} (threshold ${options.threshold ?? 1})`
    : 'UNVERIFIED: no trusted keys were given; signatures were not checked and no run counts as verified evidence';
}
