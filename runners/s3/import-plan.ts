/**
 * Which manifest entries a re-import puts where. Only the latest version of a key is imported (an entry
 * without `isLatest` is one); a key several manifests list with the same body is imported once, with
 * different bodies it cannot be proven and is a mismatch. Pure.
 */
import type { Volume } from '../../src/runner-contract.js';
import type { ImportEntry } from './import-manifest.js';

/** One object to put on the destination. */
export interface PlannedObject {
  entry: ImportEntry;
  /** The bucket key on the destination. */
  destinationKey: string;
}

/** A key the import cannot prove, and why. */
export interface Rejection {
  key: string;
  size: number;
  reason: string;
}

export interface ImportPlan {
  objects: PlannedObject[];
  /** Keys whose manifests disagree. */
  conflicts: Rejection[];
  /** Every key to re-import, once: the objects and the conflicts. */
  expected: Volume;
}

/** `destinationKeyOf` maps a manifest key to the destination's bucket key. Objects come sorted by key. */
export function planImport(entries: readonly ImportEntry[], destinationKeyOf: (key: string) => string): ImportPlan {
  const byKey = new Map<string, ImportEntry[]>();
  for (const entry of entries) {
    if (entry.isLatest === false) continue;
    const same = byKey.get(entry.key);
    if (same) same.push(entry);
    else byKey.set(entry.key, [entry]);
  }
  const plan: ImportPlan = { objects: [], conflicts: [], expected: { objects: 0, bytes: 0 } };
  for (const key of [...byKey.keys()].sort()) {
    const same = byKey.get(key) ?? [];
    const [first] = same;
    if (!first) continue;
    plan.expected.objects += 1;
    plan.expected.bytes += first.size;
    const other = same.find((entry) => entry.sha256 !== first.sha256 || entry.size !== first.size);
    if (other) {
      const where = other.manifest === first.manifest ? `manifest ${first.manifest} lists it twice` : `manifests ${first.manifest} and ${other.manifest} list it`;
      plan.conflicts.push({ key, size: first.size, reason: `${where} with different bodies (SHA-256 ${first.sha256} and ${other.sha256})` });
      continue;
    }
    plan.objects.push({ entry: first, destinationKey: destinationKeyOf(key) });
  }
  return plan;
}
