/** What a re-import proved (`ReimportFacts`), the line per object kept as evidence, and the message of a gap. Pure. */
import { keyListLimit, type KeyList, type ReimportFacts, type Volume } from '../../src/runner-contract.js';
import type { IntegritySummary } from '../shared/s3/integrity.js';
import type { IntegrityRetry } from '../shared/s3/verified-get.js';

/** One expected key and what became of it on the destination. */
export interface ImportResult {
  key: string;
  destinationKey?: string;
  size: number;
  sha256?: string;
  status: 'verified' | 'missing' | 'mismatched';
  /** Uploaded in this attempt. */
  uploaded: boolean;
  reason?: string;
  /** What the read-back was checked against: the destination's facts, or `'size-checked only'`. */
  integrity?: IntegritySummary;
  /** Reads done again after the destination's facts failed (the first read was damaged on the way). */
  integrityRetries?: IntegrityRetry[];
}


export function keyList(keys: readonly string[]): KeyList {
  return { count: keys.length, keys: [...keys].sort().slice(0, keyListLimit) };
}

function volumeOf(results: readonly ImportResult[]): Volume {
  return { objects: results.length, bytes: results.reduce((sum, result) => sum + result.size, 0) };
}

export function buildReimportFacts(destination: string, expected: Volume, results: readonly ImportResult[], durationMs: number): ReimportFacts {
  const keysWith = (status: ImportResult['status']): string[] => results.filter((result) => result.status === status).map((result) => result.key);
  return {
    kind: 'reimport',
    destination,
    expected,
    imported: volumeOf(results.filter((result) => result.uploaded)),
    verified: volumeOf(results.filter((result) => result.status === 'verified')),
    missing: keyList(keysWith('missing')),
    mismatched: keyList(keysWith('mismatched')),
    durationMs,
  };
}

/** The results that are not proven, by key, at most `limit`. */
export function gapsOf(results: readonly ImportResult[], limit = keyListLimit): ImportResult[] {
  return results
    .filter((result) => result.status !== 'verified')
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .slice(0, limit);
}

/** The error of a re-import with gaps, or undefined when every expected key is proven. */
export function gapError(facts: ReimportFacts, results: readonly ImportResult[]): { code: string; message: string } | undefined {
  const unproven = facts.missing.count + facts.mismatched.count;
  if (unproven === 0) return undefined;
  const [first] = gapsOf(results, 1);
  const example = first ? `; first: ${JSON.stringify(first.key)} ${first.status} (${first.reason ?? 'no reason recorded'})` : '';
  return {
    code: 'REIMPORT_MISMATCH',
    message: `s3.import: ${unproven} of ${facts.expected.objects} objects not proven on ${facts.destination}: ${facts.missing.count} missing, ${facts.mismatched.count} mismatched${example}`,
  };
}
