/**
 * What exit runners report (in `observation.details.exit`) and what an export manifest holds. The
 * exit-readiness section of the record is computed from these facts alone, so the engine never needs to
 * know which runner produced them. Plain JSON.
 */

/** A count and the first few keys (or files) it covers, enough for a reader to look them up. */
export interface KeyList {
  count: number;
  /** At most `keyListLimit` entries, sorted. */
  keys: string[];
}

export const keyListLimit = 20;

/** The first `shown` keys of `list`, quoted, with "…" when the list holds more. */
export function quoteKeys(list: KeyList, shown: number): string {
  const head = list.keys.slice(0, shown).map((key) => JSON.stringify(key)).join(', ');
  return list.count > Math.min(shown, list.keys.length) ? `${head}, …` : head;
}

/** Objects and bytes. */
export interface Volume {
  objects: number;
  bytes: number;
}

/** Objects of one format. */
export interface FormatTally extends Volume {
  /** At most five keys (or file names) in this format, for a reader to look at. */
  examples: string[];
}

/** One exported object, as the manifest line records it. Keys are data: never used as a path. */
export interface ManifestEntry {
  key: string;
  size: number;
  /** As the source listed it, quotes removed. */
  etag: string;
  /** Hex SHA-256 of the body, computed while it was copied. */
  sha256: string;
  lastModified: string;
  versionId?: string;
  /** The latest version of its key (only with `versions: true`). */
  isLatest?: boolean;
  contentType?: string;
  /** User metadata (`x-amz-meta-*`), as the source returned it. */
  metadata?: Record<string, string>;
  /** Format found by content (see runners/shared/formats/formats.ts). */
  format: string;
  /** Local destination: bundle-independent path of the body, relative to the export folder (`objects/ab/<sha256>`). */
  file?: string;
  /** S3 destination: the key written there, and the version it got (with `versions: true`). */
  destinationKey?: string;
  destinationVersionId?: string;
}

/** What `s3.export` found and did, for the exit-readiness section. */
export interface ExportFacts {
  kind: 'export';
  /** `s3://bucket/prefix` of the source. */
  source: string;
  /** The export folder (as written in the scenario) or `s3://bucket/prefix` of the destination. */
  destination: string;
  versions: boolean;
  /** The source listing at the start. */
  listed: Volume;
  /** Objects in the final manifest (copied in this attempt or resumed). */
  exported: Volume;
  /** Objects taken from the manifest of an earlier, interrupted export without copying again. */
  resumed: Volume;
  /** Bytes read from the source in this attempt, and the time it took (ms) — the throughput sample. */
  transferred: { bytes: number; durationMs: number };
  /** The fresh listing at the end, reconciled with the manifest. */
  reconciliation: {
    listedAtEnd: Volume;
    /** Listed at the end, not in the manifest. */
    missing: KeyList;
    /** In the manifest, no longer listed (deleted during the export, after it was copied). */
    extra: KeyList;
    /** Listed with another ETag or size than was exported (changed during the export). */
    changed: KeyList;
    /** Body digest disagreed with the source's checksum, or the destination's copy with the manifest. */
    corrupted: KeyList;
    /** Could not be copied (error after retries, key too long for the destination …). */
    failed: KeyList;
    /** Listed at the start, deleted at the source before it could be read: not exported. */
    vanished: KeyList;
  };
  /**
   * The step accepts deletions at the source during the export (`acceptDeletions`): vanished and extra
   * objects are still listed, and are no gap. Absent: they are gaps.
   */
  deletionsAccepted?: boolean;
  /** The destination's copies were read back and matched the manifest. */
  destinationVerified: boolean;
  formats: Record<string, FormatTally>;
  /** Which metadata every manifest entry carries, and objects lacking a content type. */
  metadata: { fields: string[]; withoutContentType: number };
  /** The manifest kept in the bundle. */
  manifest: { attachment: string; entries: number; sha256: string };
}

/** The lists of an export's reconciliation, in the order reports give them. */
export const gapNames = ['missing', 'extra', 'changed', 'corrupted', 'failed', 'vanished'] as const;
export type GapName = (typeof gapNames)[number];

// Deletions at the source during the export: after the copy (extra) or before the read (vanished).
const deletions: ReadonlySet<GapName> = new Set(['extra', 'vanished']);

/** Whether the list `name` of `facts` is a gap: every list is, but the deletions a step accepts. */
export function isGap(facts: Pick<ExportFacts, 'deletionsAccepted'>, name: GapName): boolean {
  return facts.deletionsAccepted !== true || !deletions.has(name);
}

/** What `ssh.dump` wrote: one dump of a database or application, streamed into the export. */
export interface DumpFacts {
  kind: 'dump';
  /** The file as written in the scenario. */
  file: string;
  host: string;
  bytes: number;
  sha256: string;
  format: string;
  durationMs: number;
}

/** What `s3.import` proved on the neutral target. */
export interface ReimportFacts {
  kind: 'reimport';
  /** `s3://bucket/prefix` written to. */
  destination: string;
  /** Manifest entries to re-import. */
  expected: Volume;
  /** Uploaded in this attempt. */
  imported: Volume;
  /** Read back and matched the manifest's SHA-256 and size. */
  verified: Volume;
  missing: KeyList;
  mismatched: KeyList;
  durationMs: number;
}

export type ExitFacts = ExportFacts | DumpFacts | ReimportFacts;
