/**
 * Reading an export folder's manifests (`manifests/<step>.jsonl`, one `ManifestEntry` per line) for a
 * re-import. A crash mid-append can tear the last line of a manifest: that one line is ignored when it
 * does not parse; any other bad line is a damaged manifest and stops the import before anything is sent.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ManifestEntry } from '../../src/runner-contract.js';
import { StepError } from '../shared/step-error.js';

/** A manifest entry and the manifest it came from. */
export type ImportEntry = ManifestEntry & { manifest: string };

export interface LoadedManifests {
  /** Manifest names (export step ids), sorted. */
  names: string[];
  entries: ImportEntry[];
  /** Manifests whose torn last line was ignored. */
  torn: string[];
}

/** What a manifest name may look like: a step id, never a path. */
const manifestName = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const sha256Pattern = /^[0-9a-f]{64}$/;

/** Where the body with this digest lives in an export folder, relative to it (the layout of `s3.export`). */
export function contentPath(sha256: string): string {
  return `objects/${sha256.slice(0, 2)}/${sha256}`;
}

/** Why `value` is not a manifest entry, or undefined when it is one. */
function entryProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not an object';
  const entry = value as Record<string, unknown>;
  if (typeof entry['key'] !== 'string' || entry['key'] === '') return '`key` is not a non-empty string';
  if (typeof entry['size'] !== 'number' || !Number.isSafeInteger(entry['size']) || entry['size'] < 0) return '`size` is not a byte count';
  if (typeof entry['sha256'] !== 'string' || !sha256Pattern.test(entry['sha256'])) return '`sha256` is not a hex SHA-256';
  for (const field of ['etag', 'lastModified', 'format'] as const) if (typeof entry[field] !== 'string') return `\`${field}\` is not a string`;
  for (const field of ['versionId', 'contentType', 'file', 'destinationKey'] as const) {
    if (entry[field] !== undefined && typeof entry[field] !== 'string') return `\`${field}\` is not a string`;
  }
  if (entry['isLatest'] !== undefined && typeof entry['isLatest'] !== 'boolean') return '`isLatest` is not a boolean';
  const metadata = entry['metadata'];
  if (metadata !== undefined && (metadata === null || typeof metadata !== 'object' || Object.values(metadata).some((item) => typeof item !== 'string'))) {
    return '`metadata` is not a map of strings';
  }
  return undefined;
}

/** The entries of one manifest's text; throws IMPORT_BAD_MANIFEST naming the line. */
export function parseManifest(name: string, text: string): { entries: ImportEntry[]; torn: boolean } {
  const lines = text.split('\n');
  while (lines.length > 0 && lines.at(-1)?.trim() === '') lines.pop();
  const entries: ImportEntry[] = [];
  let torn = false;
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    const last = index === lines.length - 1;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      if (last) {
        torn = true;
        return;
      }
      throw new StepError('IMPORT_BAD_MANIFEST', `manifest ${name}, line ${index + 1}: not JSON (only a torn last line is tolerated)`);
    }
    const problem = entryProblem(value);
    if (problem) throw new StepError('IMPORT_BAD_MANIFEST', `manifest ${name}, line ${index + 1}: ${problem}`);
    entries.push({ ...(value as ManifestEntry), manifest: name });
  });
  return { entries, torn };
}

/** The manifests of the export folder `root`: the one named `only`, or every `*.jsonl` in `manifests/`. */
export async function loadManifests(root: string, only: string | undefined): Promise<LoadedManifests> {
  const folder = join(root, 'manifests');
  let names: string[];
  if (only !== undefined) {
    if (!manifestName.test(only)) throw new StepError('INVALID_OPTIONS', `manifest ${JSON.stringify(only)} is not a step id`);
    names = [only];
  } else {
    const files = await readdir(folder).catch((error: NodeJS.ErrnoException) => {
      throw new StepError('IMPORT_NO_MANIFEST', `no manifests folder in the export (${error.code ?? 'unreadable'})`);
    });
    names = files.filter((file) => file.endsWith('.jsonl')).map((file) => file.slice(0, -'.jsonl'.length)).filter((name) => manifestName.test(name)).sort();
    if (names.length === 0) throw new StepError('IMPORT_NO_MANIFEST', 'the export has no manifest (manifests/*.jsonl)');
  }
  const loaded: LoadedManifests = { names, entries: [], torn: [] };
  for (const name of names) {
    const text = await readFile(join(folder, `${name}.jsonl`), 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new StepError('IMPORT_NO_MANIFEST', `manifest ${name} cannot be read (${error.code ?? 'error'})`);
    });
    const { entries, torn } = parseManifest(name, text);
    loaded.entries.push(...entries);
    if (torn) loaded.torn.push(name);
  }
  return loaded;
}
