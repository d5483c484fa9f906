/**
 * `s3.import`: re-import an export on a neutral target. Every latest entry of the export's manifests is
 * put into the step's bucket (under its prefix and `with.prefix`) with its content type and user
 * metadata; then the destination is listed and every copy read back and hashed. Any key not proven there
 * (missing, or another size, digest or metadata; or a missing or damaged body in the export) fails the
 * step with REIMPORT_MISMATCH. `details.exit` holds the ReimportFacts; `reimport.jsonl` (an attachment)
 * has one line per key.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { AttemptContext, Observation, ParsedAttemptContext, TypedStepRunner } from '../../src/runner-contract.js';
import { openS3Session, type S3Session } from '../shared/s3/client.js';
import { describeS3Error, isAbort, isNotFound } from '../shared/s3/errors.js';
import { listObjects, type ListedObject } from '../shared/s3/list-objects.js';
import { fullKey } from '../shared/s3/target.js';
import { jsonObservation } from '../shared/json-report.js';
import { eachLimited } from '../shared/each-limited.js';
import { StepError, stepErrorOf } from '../shared/step-error.js';
import type { S3ImportOptions } from './definition.js';
import { integrityCounts } from '../shared/s3/integrity.js';
import { buildReimportFacts, gapError, gapsOf, keyList, type ImportResult } from './import-facts.js';
import { loadManifests, type LoadedManifests } from './import-manifest.js';
import { planImport, type ImportPlan, type PlannedObject } from './import-plan.js';
import { uploadObject } from './import-upload.js';
import { checkCopy } from './import-verify.js';

const runnerName = 's3.import';
export const defaultImportConcurrency = 16;
const attachmentName = 'reimport.jsonl';

/** The `s3.import` runner. */
export function createS3ImportRunner(): TypedStepRunner<S3ImportOptions> {
  return { run: runImport };
}

interface Attempt {
  ctx: AttemptContext;
  options: S3ImportOptions;
  session: S3Session;
  /** The export folder, absolute. */
  root: string;
  concurrency: number;
}

/** The step stopped: rethrow as CANCELLED; anything else is the object's own failure, returned as text. */
function objectFailure(error: unknown, a: Attempt, doing: string): string {
  if (isAbort(error, a.ctx.signal)) throw new StepError('CANCELLED', `the step was stopped while ${doing}`);
  return stepErrorOf(error, runnerName)?.message ?? describeS3Error(error, runnerName, doing).message;
}

/** Upload every planned object; the results of those that could not be, by key, and the versions written. */
async function uploadAll(a: Attempt, plan: ImportPlan): Promise<{ failures: Map<string, ImportResult>; uploaded: Map<string, string | undefined> }> {
  const failures = new Map<string, ImportResult>();
  const uploaded = new Map<string, string | undefined>();
  await eachLimited(plan.objects, a.concurrency, a.ctx.signal, async ({ entry, destinationKey }: PlannedObject) => {
    try {
      const outcome = await uploadObject(a.session, a.root, { entry, destinationKey }, a.ctx.signal);
      if (outcome.kind === 'uploaded') uploaded.set(entry.key, outcome.versionId);
      else failures.set(entry.key, { key: entry.key, destinationKey, size: entry.size, sha256: entry.sha256, status: 'mismatched', uploaded: false, reason: outcome.reason });
    } catch (error) {
      // Not rejected locally: the destination may still hold a good copy from an earlier attempt; verification decides.
      const reason = objectFailure(error, a, `uploading ${JSON.stringify(entry.key)}`);
      failures.set(entry.key, { key: entry.key, destinationKey, size: entry.size, sha256: entry.sha256, status: 'missing', uploaded: false, reason: `upload failed: ${reason}` });
    }
  });
  if (a.ctx.signal.aborted) throw new StepError('CANCELLED', 'the step was stopped while objects were uploaded');
  return { failures, uploaded };
}

/** Read back every object not rejected locally; one result per planned object. */
async function verifyAll(a: Attempt, plan: ImportPlan, upload: Awaited<ReturnType<typeof uploadAll>>, listed: ReadonlyMap<string, ListedObject>): Promise<ImportResult[]> {
  const results: ImportResult[] = [];
  await eachLimited(plan.objects, a.concurrency, a.ctx.signal, async ({ entry, destinationKey }: PlannedObject) => {
    const failed = upload.failures.get(entry.key);
    if (failed?.status === 'mismatched') {
      results.push(failed);
      return;
    }
    const base = { key: entry.key, destinationKey, size: entry.size, sha256: entry.sha256, uploaded: upload.uploaded.has(entry.key) };
    try {
      const check = await checkCopy(a.session, {
        entry,
        key: destinationKey,
        listed: listed.get(destinationKey),
        versionId: upload.uploaded.get(entry.key),
        signal: a.ctx.signal,
        clock: a.ctx.clock,
      });
      const { kind, ...readBack } = check;
      if (kind === 'verified') results.push({ ...base, status: 'verified', ...readBack });
      // An upload error explains a missing copy better than the listing does.
      else results.push({ ...base, ...readBack, status: kind, reason: kind === 'missing' && failed?.reason ? failed.reason : check.reason });
    } catch (error) {
      const reason = objectFailure(error, a, `reading back ${JSON.stringify(entry.key)}`);
      results.push({ ...base, status: 'missing', reason: isNotFound(error) ? 'listed, but not found when read back' : `could not be read back: ${reason}` });
    }
  });
  if (a.ctx.signal.aborted) throw new StepError('CANCELLED', 'the step was stopped while copies were read back');
  return results;
}

/** One JSON line per expected key, as evidence in the bundle (when the engine offers attachments). */
async function attachResults(ctx: AttemptContext, results: readonly ImportResult[]): Promise<boolean> {
  const sink: Writable | undefined = ctx.attach?.(attachmentName);
  if (!sink) return false;
  for (const result of results) {
    if (!sink.write(`${JSON.stringify(result)}\n`)) await new Promise<void>((done) => sink.once('drain', done));
  }
  sink.end();
  await finished(sink);
  return true;
}

async function importAll(a: Attempt, manifests: LoadedManifests): Promise<Observation> {
  const { ctx, options, session } = a;
  const startedMs = ctx.clock.now();
  const keyPrefix = fullKey(session.target, options.prefix ?? '');
  const destination = `s3://${session.target.bucket}/${keyPrefix}`;
  const plan = planImport(manifests.entries, (key) => keyPrefix + key);

  const upload = await uploadAll(a, plan);
  const listing = await listObjects(session, keyPrefix, ctx.signal);
  const listed = new Map(listing.map((object) => [object.key, object]));
  const verified = await verifyAll(a, plan, upload, listed);
  const conflicts: ImportResult[] = plan.conflicts.map(({ key, size, reason }) => ({ key, size, status: 'mismatched', uploaded: false, reason }));
  const results = [...verified, ...conflicts].sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));

  const durationMs = Math.round(ctx.clock.now() - startedMs);
  const facts = buildReimportFacts(destination, plan.expected, results, durationMs);
  const planned = new Set(plan.objects.map((object) => object.destinationKey));
  const attached = await attachResults(ctx, results);
  const report = {
    from: options.from,
    manifests: manifests.names,
    tornManifests: manifests.torn,
    destination,
    expected: facts.expected,
    imported: facts.imported,
    verified: facts.verified,
    missing: facts.missing,
    mismatched: facts.mismatched,
    // Objects already under the destination prefix that the export does not hold: shown, not judged.
    unexpected: keyList(listing.filter((object) => !planned.has(object.key)).map((object) => object.key.slice(keyPrefix.length))),
    gaps: gapsOf(results).map(({ key, status, reason }) => ({ key, status, reason })),
    ...(attached ? { attachment: attachmentName } : {}),
    durationMs,
  };
  return jsonObservation(ctx, report, { ...session.details(), exit: facts, integrity: integrityCounts(results) }, gapError(facts, results));
}

async function runImport(ctx: ParsedAttemptContext<S3ImportOptions>): Promise<Observation> {
  const { options } = ctx;
  const root = resolve(ctx.baseDir, options.from);
  let manifests: LoadedManifests;
  try {
    const folder = await stat(root).catch(() => undefined);
    if (!folder?.isDirectory()) throw new StepError('IMPORT_NO_EXPORT', `${options.from} is not an export folder`);
    manifests = await loadManifests(root, options.manifest);
  } catch (error) {
    return { error: stepErrorOf(error, runnerName) ?? { code: 'IMPORT_NO_EXPORT', message: `${runnerName}: ${String(error)}` } };
  }
  let session: S3Session;
  try {
    session = openS3Session(ctx, runnerName);
  } catch (error) {
    return { error: describeS3Error(error, runnerName, 'target') };
  }
  const a: Attempt = { ctx, options, session, root, concurrency: options.concurrency ?? defaultImportConcurrency };
  try {
    return await importAll(a, manifests);
  } catch (error) {
    const failure = isAbort(error, ctx.signal)
      ? (stepErrorOf(error, runnerName) ?? { code: 'CANCELLED', message: `${runnerName}: the step was stopped` })
      : describeS3Error(error, runnerName, `importing ${options.from}`);
    return { error: failure, details: session.details() };
  } finally {
    session.close();
  }
}
