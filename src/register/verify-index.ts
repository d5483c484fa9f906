/**
 * A cache of verification results, so that `due` does not re-hash every bundle on every call. An entry is
 * keyed by the record's digest together with the size and change time of every file of the bundle, the
 * trusted key ids and the threshold: any change to any of them means a fresh verification. The cache
 * lives outside the evidence store (whoever can write the store must not be able to vouch for it).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from '../evidence/atomic-write.js';
import type { VerificationState } from './run-entry.js';

export interface CachedVerification {
  verification: Exclude<VerificationState, 'unfinished'>;
  problem?: string;
  signers: string[];
}

export interface VerifyIndex {
  get(key: string): CachedVerification | undefined;
  set(key: string, value: CachedVerification): void;
  /** Write the index back (no-op for an in-memory index). Entries unused for a year are dropped. */
  save(): void;
}

interface Stored extends CachedVerification {
  usedAt: string;
}

const version = 1;
const keepMs = 366 * 86_400_000;

/** The cache key of one verification. */
export function verifyIndexKey(parts: {
  recordSha256: string;
  files: readonly { name: string; bytes: number; changedMs: number }[];
  keyids: readonly string[];
  threshold: number;
  mode: string;
}): string {
  const material = JSON.stringify([version, parts.mode, [...parts.keyids].sort(), parts.threshold, parts.recordSha256, parts.files.map((f) => [f.name, f.bytes, f.changedMs])]);
  return createHash('sha256').update(material).digest('hex');
}

/** An index kept in memory only (the scheduler keeps one for its lifetime). */
export function createMemoryIndex(): VerifyIndex {
  const entries = new Map<string, CachedVerification>();
  return { get: (key) => entries.get(key), set: (key, value) => void entries.set(key, value), save: () => undefined };
}

/** An index in a JSON file; a missing or unreadable file starts empty (it is only a cache). */
export function createFileIndex(file: string, now: () => number = Date.now): VerifyIndex {
  let entries: Record<string, Stored> = {};
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { version?: number; entries?: Record<string, Stored> };
    if (parsed.version === version && parsed.entries) entries = parsed.entries;
  } catch {
    // Absent or damaged: verify again.
  }
  let dirty = false;
  return {
    get(key) {
      const found = entries[key];
      if (!found) return undefined;
      found.usedAt = new Date(now()).toISOString();
      dirty = true;
      const { usedAt: _usedAt, ...value } = found;
      return value;
    },
    set(key, value) {
      entries[key] = { ...value, usedAt: new Date(now()).toISOString() };
      dirty = true;
    },
    save() {
      if (!dirty) return;
      const cutoff = now() - keepMs;
      const kept = Object.fromEntries(Object.entries(entries).filter(([, e]) => Date.parse(e.usedAt) >= cutoff));
      mkdirSync(dirname(file), { recursive: true });
      writeFileAtomic(file, `${JSON.stringify({ version, entries: kept })}\n`, 0o600);
      dirty = false;
    },
  };
}

/**
 * The default index file of a store: under `$XDG_CACHE_HOME/drillbook/` (else `~/.cache/drillbook/`), one
 * file per store location.
 */
export function defaultIndexFile(storeLocation: string, env: NodeJS.ProcessEnv = process.env): string {
  const base = env['XDG_CACHE_HOME'] || join(homedir(), '.cache');
  const where = /^[a-z][a-z0-9+.-]*:\/\//i.test(storeLocation) ? storeLocation : resolve(storeLocation);
  const id = createHash('sha256').update(where).digest('hex').slice(0, 16);
  return join(base, 'drillbook', 'verified', `${id}.json`);
}
