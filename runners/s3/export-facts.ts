/** What an export found, as the record keeps it (`ExportFacts`), and the message of an incomplete one. Pure. */
import { gapNames, isGap, quoteKeys, type ExportFacts, type FormatTally, type Volume } from '../../src/runner-contract.js';
import type { SourceObject } from './export-list.js';
import { labelOf, type ExportEntry } from './export-manifest.js';
import { keyList, type Reconciliation } from './export-reconcile.js';

/** An object that was not exported, and why. */
export interface Problem {
  key: string;
  versionId?: string;
  code?: string;
  reason: string;
}

export interface ExportOutcome {
  source: string;
  destination: string;
  versions: boolean;
  listed: readonly SourceObject[];
  /** The final manifest. */
  entries: readonly ExportEntry[];
  resumed: readonly ExportEntry[];
  transferred: { bytes: number; durationMs: number };
  atEnd: readonly SourceObject[];
  reconciliation: Reconciliation;
  corrupted: readonly Problem[];
  failed: readonly Problem[];
  /** Listed at the start, gone (404) when read. */
  vanished: readonly SourceObject[];
  /** `acceptDeletions`: vanished and extra objects are listed, not gaps. */
  deletionsAccepted: boolean;
  destinationVerified: boolean;
  manifest: { attachment: string; entries: number; sha256: string };
}

const formatExamples = 5;
// Fields a manifest line can carry, in the order a reader expects them.
const entryFields = ['key', 'size', 'etag', 'sha256', 'lastModified', 'versionId', 'isLatest', 'contentType', 'metadata', 'format'] as const;

export function volumeOf(items: readonly { size: number }[]): Volume {
  return { objects: items.length, bytes: items.reduce((sum, item) => sum + item.size, 0) };
}

function tallyFormats(entries: readonly ExportEntry[]): Record<string, FormatTally> {
  const formats: Record<string, FormatTally> = {};
  for (const entry of entries) {
    const tally = (formats[entry.format] ??= { objects: 0, bytes: 0, examples: [] });
    tally.objects += 1;
    tally.bytes += entry.size;
    tally.examples.push(entry.key);
  }
  for (const tally of Object.values(formats)) tally.examples = [...new Set(tally.examples)].sort().slice(0, formatExamples);
  return formats;
}

export function buildExportFacts(outcome: ExportOutcome): ExportFacts {
  const { versions, reconciliation: r } = outcome;
  const label = (object: { key: string; versionId?: string | undefined }): string => labelOf(object, versions);
  return {
    kind: 'export',
    source: outcome.source,
    destination: outcome.destination,
    versions,
    listed: volumeOf(outcome.listed),
    exported: volumeOf(outcome.entries),
    resumed: volumeOf(outcome.resumed),
    transferred: outcome.transferred,
    reconciliation: {
      listedAtEnd: volumeOf(outcome.atEnd),
      missing: keyList(r.missing.map(label)),
      extra: keyList(r.extra.map(label)),
      changed: keyList(r.changed.map((c) => label(c.exported))),
      corrupted: keyList(outcome.corrupted.map(label)),
      failed: keyList(outcome.failed.map(label)),
      vanished: keyList(outcome.vanished.map(label)),
    },
    deletionsAccepted: outcome.deletionsAccepted,
    destinationVerified: outcome.destinationVerified,
    formats: tallyFormats(outcome.entries),
    metadata: {
      fields: entryFields.filter((field) => outcome.entries.length > 0 && outcome.entries.every((entry) => entry[field] !== undefined)),
      withoutContentType: outcome.entries.filter((entry) => entry.contentType === undefined).length,
    },
    manifest: outcome.manifest,
  };
}

/** Counts and first keys of every gap, or undefined when there is none; accepted deletions are named apart. */
export function describeGaps(facts: ExportFacts): string | undefined {
  const lists = gapNames.map((name) => [name, facts.reconciliation[name]] as const);
  const gaps = lists.filter(([name]) => isGap(facts, name));
  if (gaps.every(([, list]) => list.count === 0)) return undefined;
  const counts = gaps.map(([name, list]) => `${list.count} ${name}`).join(', ');
  const firsts = gaps
    .filter(([, list]) => list.count > 0)
    .map(([name, list]) => `${name}: ${quoteKeys(list, 3)}`)
    .join('; ');
  const accepted = lists.filter(([name, list]) => !isGap(facts, name) && list.count > 0).map(([name, list]) => `${list.count} ${name}`);
  return `the export of ${facts.source} is incomplete: ${counts} (${firsts})${accepted.length ? `; deletions accepted (acceptDeletions): ${accepted.join(', ')}` : ''}`;
}
