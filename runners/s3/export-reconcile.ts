/**
 * Completeness of an export: the fresh listing taken at the end against the manifest. Pure. Objects
 * already reported as corrupted or failed are not counted again as missing.
 */
import { keyListLimit, type KeyList } from '../../src/runner-contract.js';
import type { SourceObject } from './export-list.js';
import { compareEntries, identityOf, type ExportEntry } from './export-manifest.js';

export interface Changed {
  exported: ExportEntry;
  atEnd: SourceObject;
}

export interface Reconciliation {
  /** Listed at the end, not in the manifest. */
  missing: SourceObject[];
  /** In the manifest, no longer listed. */
  extra: ExportEntry[];
  /** Listed with another ETag, size or modification time than was exported. */
  changed: Changed[];
}

// Listings carry milliseconds, GET's Last-Modified header whole seconds.
const toSecond = (iso: string): number => Math.floor(Date.parse(iso) / 1000);

export function reconcile(entries: readonly ExportEntry[], atEnd: readonly SourceObject[], reported: ReadonlySet<string>, versions: boolean): Reconciliation {
  const exported = new Map(entries.map((entry) => [identityOf(entry, versions), entry]));
  const listed = new Set<string>();
  const missing: SourceObject[] = [];
  const changed: Changed[] = [];
  for (const object of atEnd) {
    const id = identityOf(object, versions);
    listed.add(id);
    const entry = exported.get(id);
    if (!entry) {
      if (!reported.has(id)) missing.push(object);
      continue;
    }
    if (entry.etag !== object.etag || entry.size !== object.size || toSecond(entry.lastModified) !== toSecond(object.lastModified)) {
      changed.push({ exported: entry, atEnd: object });
    }
  }
  const extra = entries.filter((entry) => !listed.has(identityOf(entry, versions)));
  return { missing: missing.sort(compareEntries), extra: [...extra].sort(compareEntries), changed: changed.sort((a, b) => compareEntries(a.exported, b.exported)) };
}

/** A count and the first `keyListLimit` labels, sorted. */
export function keyList(labels: readonly string[]): KeyList {
  const sorted = [...labels].sort((a, b) => (a === b ? 0 : a < b ? -1 : 1));
  return { count: sorted.length, keys: sorted.slice(0, keyListLimit) };
}
