/**
 * `s3.export`: every object under the target's prefix (every version with `versions`) copied to a local
 * folder or another s3 target, in one streamed pass per object that also takes its SHA-256 (and MD5,
 * to catch bytes damaged in transit). Then, optionally, every copy read back; then a fresh listing of
 * the source reconciled with the manifest. Any gap (missing, extra, changed, corrupted, failed, or
 * vanished: listed at the start, deleted before it was read) fails the step, with the lists in the record
 * and in `reconciliation.json`; `acceptDeletions` lists extra and vanished objects without failing. A
 * local folder too small for the export is refused before the first GET, and a destination that cannot
 * be written stops the export at once (export-space.ts). A stopped export keeps what it finished in its
 * manifest and the next attempt resumes from it.
 */
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { resolve } from 'node:path';
import type { AttemptContext, Observation, ParsedAttemptContext, TypedStepRunner } from '../../src/runner-contract.js';
import { openS3Session, type S3Session } from '../shared/s3/client.js';
import { describeS3Error } from '../shared/s3/errors.js';
import { integrityCounts } from '../shared/s3/integrity.js';
import { jsonObservation } from '../shared/json-report.js';
import { eachLimited } from '../shared/each-limited.js';
import { StepError } from '../shared/step-error.js';
import { fullKey } from '../shared/s3/target.js';
import type { S3ExportOptions } from './definition.js';
import { copyObject, type CopyEnv, type CopyIntegrity, type ExportStore } from './export-copy.js';
import { buildExportFacts, describeGaps, volumeOf, type ExportOutcome, type Problem } from './export-facts.js';
import { listSource, type SourceObject } from './export-list.js';
import { identityOf, loadManifest, openManifestLog, rewriteManifest, writeManifest, type ExportEntry } from './export-manifest.js';
import { reconcile } from './export-reconcile.js';
import { openLocalStore } from './export-store-local.js';
import { openS3Store } from './export-store-s3.js';
import { describeShortfall, destinationFailure, measureFreeSpace, stoppingWriteCode, type StoppedAt } from './export-space.js';

export const defaultConcurrency = 16;
export const defaultPartSizeMiB = 8;
const runner = 's3.export';

/** The `s3.export` runner. */
export function createS3ExportRunner(): TypedStepRunner<S3ExportOptions> {
  return { run: runExport };
}

/** Work items: versions of one key go oldest first to an s3 destination, where the newest must land last. */
function workItems(objects: readonly SourceObject[], serialiseVersions: boolean): SourceObject[][] {
  if (!serialiseVersions) return objects.map((object) => [object]);
  const byKey = new Map<string, SourceObject[]>();
  for (const object of objects) byKey.set(object.key, [...(byKey.get(object.key) ?? []), object]);
  const order = (o: SourceObject): number => Date.parse(o.lastModified) * 2 + (o.isLatest ? 1 : 0);
  return [...byKey.values()].map((group) => group.sort((a, b) => order(a) - order(b)));
}

interface Attempt {
  ctx: AttemptContext;
  /** How far the export got, once the source is listed (for the message of a destination that cannot be written). */
  stoppedAt?: StoppedAt;
  options: S3ExportOptions;
  source: S3Session;
  destination?: S3Session;
  concurrency: number;
  listPrefix: string;
  versions: boolean;
}

async function openStore(a: Attempt): Promise<ExportStore> {
  const { ctx, options } = a;
  if (options.to.dir !== undefined) return openLocalStore({ dir: options.to.dir, baseDir: ctx.baseDir, stepId: ctx.stepId, protect: ctx.protectedPaths });
  const name = options.to.target ?? '';
  const target = ctx.resolveTarget?.(name);
  if (!target) throw new StepError('S3_NO_TARGET', `${runner}: the destination target ${name} is not declared`);
  const secret = ctx.secret?.bind(ctx);
  a.destination = openS3Session({ target, log: ctx.log, ...(secret ? { secret } : {}) }, runner);
  return openS3Store({
    session: a.destination,
    prefix: options.to.prefix ?? '',
    manifestPath: resolve(ctx.baseDir, options.to.state ?? ''),
    baseDir: ctx.baseDir,
    protect: ctx.protectedPaths,
    partSizeBytes: (options.partSizeMiB ?? defaultPartSizeMiB) * 1024 * 1024,
    versions: a.versions,
    signal: ctx.signal,
    clock: ctx.clock,
  });
}

/** What a local write goes to: the export folder, or the manifest an s3 destination keeps locally. */
function destinationName(options: S3ExportOptions): string {
  return options.to.dir !== undefined ? `the export folder ${options.to.dir}` : `the manifest ${options.to.state ?? ''}`;
}

/** Write `entries` into the attachment `name` (when the engine offers attachments); their count and digest. */
async function attachManifest(ctx: AttemptContext, entries: readonly ExportEntry[]): Promise<{ entries: number; sha256: string }> {
  const sink = ctx.attach?.('manifest.jsonl') ?? new Writable({ write: (_chunk, _encoding, done) => done() });
  const written = await writeManifest(sink, entries);
  sink.end();
  await finished(sink);
  return written;
}

async function attachJson(ctx: AttemptContext, name: string, value: unknown): Promise<void> {
  const sink = ctx.attach?.(name);
  if (!sink) return;
  sink.end(`${JSON.stringify(value, null, 2)}\n`);
  await finished(sink);
}

/** Refuse (or, with `insufficientSpace: warn`, log) an export folder too small for `toCopy`, before any GET. */
async function checkFreeSpace(a: Attempt, dir: string, toCopy: readonly SourceObject[], progress: Record<string, unknown>): Promise<void> {
  const space = await measureFreeSpace(resolve(a.ctx.baseDir, dir), toCopy.map((object) => object.size));
  progress['freeSpace'] = space;
  if (space.enough) return;
  const shortfall = describeShortfall(dir, space);
  if (a.options.insufficientSpace !== 'warn') {
    throw new StepError('DEST_INSUFFICIENT_SPACE', `${shortfall}; nothing was downloaded. Free space or choose another folder (insufficientSpace: warn starts anyway)`);
  }
  a.ctx.log.warn({ freeSpace: space }, `${runner}: ${shortfall}; starting anyway (insufficientSpace: warn)`);
}

async function exportAll(a: Attempt, progress: Record<string, unknown>): Promise<Observation> {
  const { ctx, options, versions } = a;
  const startedMs = ctx.clock.now();
  const store = await openStore(a);
  const sourceAddress = `s3://${a.source.target.bucket}/${a.listPrefix}`;

  const listing = await listSource(a.source, a.listPrefix, versions, ctx.signal);
  Object.assign(progress, { listed: listing.objects.length, deleteMarkers: listing.deleteMarkers, pages: listing.pages });
  ctx.log.info({ objects: listing.objects.length, deleteMarkers: listing.deleteMarkers }, 's3.export listed the source');
  a.stoppedAt = { listed: listing.objects.length, finished: 0, copied: { objects: 0, bytes: 0 }, notAttempted: listing.objects.length };

  // Resume: the earlier manifest, torn lines dropped (rewritten whole before any append).
  const loaded = options.resume === false ? { entries: [], skippedLines: 0 } : await loadManifest(store.manifestPath);
  progress['manifestLinesSkipped'] = loaded.skippedLines;
  const previous = new Map(loaded.entries.map((entry) => [identityOf(entry, versions), entry]));
  // Copies an earlier attempt finished that are still there: neither copied again nor room to find.
  const held = new Map<string, ExportEntry>();
  await eachLimited(listing.objects, a.concurrency, ctx.signal, async (object, signal) => {
    const id = identityOf(object, versions);
    const earlier = previous.get(id);
    if (earlier && earlier.etag === object.etag && earlier.size === object.size && (await store.holds(earlier, signal))) held.set(id, earlier);
  });
  if (options.to.dir !== undefined) await checkFreeSpace(a, options.to.dir, listing.objects.filter((object) => !held.has(identityOf(object, versions))), progress);
  await rewriteManifest(store.manifestPath, loaded.entries);
  const log = await openManifestLog(store.manifestPath);

  const final = new Map<string, ExportEntry>();
  const resumed: ExportEntry[] = [];
  const corrupted: Problem[] = [];
  const failed: Problem[] = [];
  const deletedBeforeRead: SourceObject[] = [];
  // What each object read was checked against (details.integrity counts them).
  const reads: CopyIntegrity[] = [];
  const read = { bytes: 0 };
  const copied = { objects: 0, bytes: 0 };
  let attempted = 0;
  const problem = (object: SourceObject, reason: string, code?: string): Problem => ({
    key: object.key,
    ...(versions && object.versionId !== undefined ? { versionId: object.versionId } : {}),
    ...(code === undefined ? {} : { code }),
    reason,
  });

  const copyStartedMs = ctx.clock.now();
  try {
    const items = workItems(listing.objects, versions && a.destination !== undefined);
    await eachLimited(items, a.concurrency, ctx.signal, async (group, signal) => {
      const env: CopyEnv = { source: a.source, store, signal, clock: ctx.clock, versions, read };
      for (const object of group) {
        attempted += 1;
        const id = identityOf(object, versions);
        const earlier = held.get(id);
        if (earlier) {
          resumed.push(earlier);
          final.set(id, earlier);
          continue;
        }
        const outcome = await copyObject(env, object);
        if (outcome.kind === 'copied' || outcome.kind === 'corrupted') reads.push({ integrity: outcome.integrity, integrityRetries: outcome.integrityRetries });
        if (outcome.kind === 'copied') {
          await log.append(outcome.entry);
          final.set(id, outcome.entry);
          copied.objects += 1;
          copied.bytes += outcome.entry.size;
        } else if (outcome.kind === 'corrupted') corrupted.push(problem(object, outcome.reason));
        else if (outcome.kind === 'failed') failed.push(problem(object, outcome.message, outcome.code));
        else deletedBeforeRead.push(object);
      }
    });
  } finally {
    await log.close();
    a.stoppedAt = { listed: listing.objects.length, finished: final.size, copied, notAttempted: listing.objects.length - attempted };
    Object.assign(progress, {
      exported: final.size,
      resumed: resumed.length,
      corrupted: corrupted.length,
      failed: failed.length,
      bytesRead: read.bytes,
      notAttempted: a.stoppedAt.notAttempted,
      integrity: integrityCounts(reads),
    });
  }
  const copyMs = Math.round(ctx.clock.now() - copyStartedMs);
  if (ctx.signal.aborted) {
    return {
      error: { code: 'CANCELLED', message: `${runner}: stopped after ${final.size} of ${listing.objects.length} objects; the manifest keeps those, a new attempt resumes from it` },
      details: progress,
    };
  }
  let destinationVerified = false;
  if (options.verifyDestination !== false) {
    const bad = new Map<string, string>();
    await eachLimited([...final], a.concurrency, ctx.signal, async ([id, entry], signal) => {
      const why = await store.check(entry, signal);
      if (why !== undefined) bad.set(id, why);
    });
    if (ctx.signal.aborted) return { error: { code: 'CANCELLED', message: `${runner}: stopped while reading the copies back` }, details: progress };
    for (const [id, why] of bad) {
      const entry = final.get(id);
      if (!entry) continue;
      // A copy that does not match is no copy: out of the manifest, so the next attempt makes it again.
      final.delete(id);
      corrupted.push({ key: entry.key, ...(versions && entry.versionId !== undefined ? { versionId: entry.versionId } : {}), reason: why });
    }
    destinationVerified = bad.size === 0;
    progress['verified'] = final.size + bad.size;
  }

  const atEnd = await listSource(a.source, a.listPrefix, versions, ctx.signal);
  const entries = [...final.values()];
  const reported = new Set([...corrupted, ...failed].map((p) => identityOf(p, versions)));
  const reconciliation = reconcile(entries, atEnd.objects, reported, versions);
  // Deleted before its read but there again at the end: it exists and was not exported, so it is missing
  // (never excused by acceptDeletions), not vanished.
  const listedAtEnd = new Set(atEnd.objects.map((object) => identityOf(object, versions)));
  const vanished = deletedBeforeRead.filter((object) => !listedAtEnd.has(identityOf(object, versions)));
  await rewriteManifest(store.manifestPath, entries);
  const manifest = await attachManifest(ctx, entries);
  await attachJson(ctx, 'reconciliation.json', {
    source: sourceAddress,
    destination: store.address,
    listedAtEnd: volumeOf(atEnd.objects),
    missing: reconciliation.missing.map(({ key, versionId, etag, size, lastModified }) => ({ key, versionId, etag, size, lastModified })),
    extra: reconciliation.extra.map(({ key, versionId, etag, size, lastModified }) => ({ key, versionId, etag, size, lastModified })),
    changed: reconciliation.changed.map(({ exported, atEnd: now }) => ({
      key: exported.key,
      versionId: exported.versionId,
      exported: { etag: exported.etag, size: exported.size, lastModified: exported.lastModified },
      atEnd: { etag: now.etag, size: now.size, lastModified: now.lastModified },
    })),
    corrupted,
    failed,
    vanished: vanished.map(({ key, versionId, etag, size, lastModified }) => ({ key, versionId, etag, size, lastModified })),
    deletionsAccepted: options.acceptDeletions ?? false,
  });

  const outcome: ExportOutcome = {
    source: sourceAddress,
    destination: store.address,
    versions,
    listed: listing.objects,
    entries,
    resumed,
    transferred: { bytes: read.bytes, durationMs: copyMs },
    atEnd: atEnd.objects,
    reconciliation,
    corrupted,
    failed,
    vanished,
    deletionsAccepted: options.acceptDeletions ?? false,
    destinationVerified,
    manifest: { attachment: 'manifest.jsonl', ...manifest },
  };
  const facts = buildExportFacts(outcome);
  const durationMs = Math.round(ctx.clock.now() - startedMs);
  const report = {
    source: facts.source,
    destination: facts.destination,
    versions,
    objects: facts.exported.objects,
    bytes: facts.exported.bytes,
    copied: { objects: facts.exported.objects - facts.resumed.objects, bytes: facts.exported.bytes - facts.resumed.bytes },
    resumed: facts.resumed,
    listed: facts.listed,
    reconciliation: Object.fromEntries(Object.entries(facts.reconciliation).map(([name, list]) => [name, 'count' in list ? list.count : list])),
    destinationVerified,
    durationMs,
    copyDurationMs: copyMs,
    bytesPerSecond: copyMs > 0 ? Math.round(read.bytes / (copyMs / 1000)) : null,
    manifest: { entries: manifest.entries, sha256: manifest.sha256 },
  };
  const gaps = describeGaps(facts);
  return jsonObservation(ctx, report, { ...progress, exit: facts }, gaps === undefined ? undefined : { code: 'EXPORT_INCOMPLETE', message: `${runner}: ${gaps}` });
}

async function runExport(ctx: ParsedAttemptContext<S3ExportOptions>): Promise<Observation> {
  const { options } = ctx;
  let source: S3Session;
  try {
    source = openS3Session(ctx, runner);
  } catch (error) {
    return { error: describeS3Error(error, runner, 'target') };
  }
  const concurrency = options.concurrency ?? defaultConcurrency;
  const a: Attempt = {
    ctx,
    options,
    source,
    concurrency,
    listPrefix: fullKey(source.target, options.prefix ?? ''),
    versions: options.versions ?? false,
  };
  const progress: Record<string, unknown> = { prefix: a.listPrefix, concurrency };
  // Retries of both ends reach the record: the source's at the top (as in every s3 step), the destination's beside them.
  const details = (extra: Record<string, unknown> | undefined): Record<string, unknown> => ({
    ...source.details(),
    ...(a.destination ? { destination: a.destination.details() } : {}),
    ...progress,
    ...extra,
  });
  try {
    const observation = await exportAll(a, progress);
    return { ...observation, details: details(observation.details) };
  } catch (error) {
    const where = `s3://${source.target.bucket}/${a.listPrefix}`;
    const stopping = stoppingWriteCode(error);
    const failure = ctx.signal.aborted
      ? { code: 'CANCELLED', message: `${runner}: the export of ${where} was stopped before its end` }
      : stopping !== undefined
        ? destinationFailure(stopping, destinationName(options), a.stoppedAt)
        : describeS3Error(error, runner, `exporting ${where}`);
    return { error: failure, details: details(undefined) };
  } finally {
    source.close();
    a.destination?.close();
  }
}
