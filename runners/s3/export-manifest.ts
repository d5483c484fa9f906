/**
 * The export manifest on disk: one `ManifestEntry` JSON per line, appended as each object completes, so
 * an interrupted export keeps what it finished and the next attempt resumes from it. Reading tolerates a
 * torn last line (a crash mid-append); the file is rewritten whole (temporary file, rename) only when no
 * copy is running: at the start, dropping torn lines, and at the end, sorted. Never read or written
 * through a link, nor when it is someone else's (safe-files.ts): it decides what a resume skips.
 */
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, constants } from 'node:fs';
import { rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import type { ManifestEntry } from '../../src/runner-contract.js';
import { createNewFile, openOwnFile } from '../shared/safe-files.js';

/** A manifest entry as this runner writes it: an S3 destination's version id, when it gave one. */
export type ExportEntry = ManifestEntry & { destinationVersionId?: string };

/** Identifies one exported object: its key, and its version when versions are exported. */
export function identityOf(object: { key: string; versionId?: string | undefined }, versions: boolean): string {
  return versions ? `${object.key}\u0000${object.versionId ?? 'null'}` : object.key;
}

/** How reports name an object: its key, with its version when versions are exported. */
export function labelOf(object: { key: string; versionId?: string | undefined }, versions: boolean): string {
  return versions ? `${object.key} (version ${object.versionId ?? 'null'})` : object.key;
}

/** By key, then version id (code-unit order: the same on every machine). */
export function compareEntries(a: { key: string; versionId?: string | undefined }, b: { key: string; versionId?: string | undefined }): number {
  if (a.key !== b.key) return a.key < b.key ? -1 : 1;
  const av = a.versionId ?? '';
  const bv = b.versionId ?? '';
  return av === bv ? 0 : av < bv ? -1 : 1;
}

function isEntry(value: unknown): value is ExportEntry {
  if (value === null || typeof value !== 'object') return false;
  const entry = value as Record<string, unknown>;
  return (
    typeof entry['key'] === 'string' &&
    typeof entry['size'] === 'number' &&
    typeof entry['etag'] === 'string' &&
    typeof entry['sha256'] === 'string' &&
    /^[0-9a-f]{64}$/.test(entry['sha256']) &&
    typeof entry['lastModified'] === 'string' &&
    typeof entry['format'] === 'string'
  );
}

export interface LoadedManifest {
  entries: ExportEntry[];
  /** Lines that were not a whole entry (a torn last line). */
  skippedLines: number;
}

/** The entries of the manifest at `path` (none when it does not exist). Throws DEST_UNSAFE. */
export async function loadManifest(path: string): Promise<LoadedManifest> {
  let file: FileHandle;
  try {
    file = await openOwnFile(path, constants.O_RDONLY);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], skippedLines: 0 };
    throw error;
  }
  let text: string;
  try {
    text = await file.readFile('utf8');
  } finally {
    await file.close();
  }
  const entries: ExportEntry[] = [];
  let skippedLines = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      skippedLines += 1;
      continue;
    }
    if (isEntry(value)) entries.push(value);
    else skippedLines += 1;
  }
  return { entries, skippedLines };
}

/** Entries sorted, one JSON per line. */
export function* manifestLines(entries: readonly ExportEntry[]): Generator<string> {
  for (const entry of [...entries].sort(compareEntries)) yield `${JSON.stringify(entry)}\n`;
}

/** Write `entries` (sorted) to `sink`, minding backpressure; their count and SHA-256. */
export async function writeManifest(sink: Writable, entries: readonly ExportEntry[]): Promise<{ entries: number; sha256: string }> {
  const hash = createHash('sha256');
  for (const line of manifestLines(entries)) {
    hash.update(line);
    if (!sink.write(line)) await new Promise<void>((resolve) => sink.once('drain', resolve));
  }
  return { entries: entries.length, sha256: hash.digest('hex') };
}

/** Replace the manifest at `path` with `entries` (sorted), atomically. */
export async function rewriteManifest(path: string, entries: readonly ExportEntry[]): Promise<void> {
  const temp = join(dirname(path), `.${randomBytes(6).toString('hex')}.manifest.tmp`);
  const file = await createNewFile(temp);
  try {
    let batch = '';
    for (const line of manifestLines(entries)) {
      batch += line;
      if (batch.length >= 1 << 20) {
        await file.appendFile(batch);
        batch = '';
      }
    }
    await file.appendFile(batch);
    await file.sync();
    await file.close();
    await rename(temp, path);
  } catch (error) {
    await file.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}

/** The manifest being appended to while objects complete. */
export interface ManifestLog {
  append(entry: ExportEntry): Promise<void>;
  close(): Promise<void>;
}

/**
 * Open `path` for appending (after `rewriteManifest` has left only whole lines in it). Each line is one
 * synchronous append: it lands whole and in completion order, without a hop to the thread pool per object.
 */
export async function openManifestLog(path: string): Promise<ManifestLog> {
  const file = await openOwnFile(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT);
  return {
    append(entry) {
      // A failed write rejects, as an asynchronous one would.
      return new Promise((resolve) => {
        appendFileSync(file.fd, `${JSON.stringify(entry)}\n`);
        resolve();
      });
    },
    async close() {
      await file.close();
    },
  };
}
