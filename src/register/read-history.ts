/**
 * History from the evidence store itself: every bundle of a scenario, verified against the trusted keys
 * (or only checked for integrity, when the caller chose to run without keys), summarised as `RunEntry`s.
 * A record filed under another scenario's or run's folder is invalid: evidence cannot be moved around.
 */
import { createHash } from 'node:crypto';
import type { TrustedKey } from '../evidence/keys.js';
import type { RunRecord } from '../evidence/run-record.js';
import { verifyBundle, type VerifyReport } from '../evidence/verify.js';
import { runIdTime, type RunEntry, type TrustMode } from './run-entry.js';
import type { BundleRef, EvidenceStore } from './store.js';
import { verifyIndexKey, type CachedVerification, type VerifyIndex } from './verify-index.js';

export interface HistoryOptions {
  /** Trusted public keys; empty in `unverified` mode. */
  keys: readonly TrustedKey[];
  /** Distinct trusted keys that must have signed (default 1). */
  threshold?: number;
  mode: TrustMode;
  index?: VerifyIndex;
}

// Failures that leave the bundle intact but not signed by enough trusted keys.
const signatureChecks = new Set(['envelope', 'signatures', 'threshold']);

function firstProblem(report: VerifyReport): string {
  const first = report.firstFailure;
  return first ? `${first.title}: ${first.details[0] ?? 'failed'}` : 'verification failed';
}

async function verify(store: EvidenceStore, ref: BundleRef, options: HistoryOptions): Promise<CachedVerification> {
  const dir = await store.localBundleDir(ref);
  if (options.mode === 'unverified') {
    const report = await verifyBundle(dir, { keys: [], threshold: 0 });
    return report.ok ? { verification: 'unverified', signers: [] } : { verification: 'invalid', problem: firstProblem(report), signers: [] };
  }
  const report = await verifyBundle(dir, { keys: options.keys, threshold: options.threshold ?? 1 });
  const signers = [...new Set(report.signers.map((s) => s.keyid))];
  if (report.ok) return { verification: 'verified', signers };
  const failed = report.checks.filter((c) => c.status === 'failed').map((c) => c.id);
  if (failed.every((id) => signatureChecks.has(id))) {
    const intact = await verifyBundle(dir, { keys: [], threshold: 0 });
    if (intact.ok) return { verification: 'untrusted', problem: firstProblem(report), signers };
  }
  return { verification: 'invalid', problem: firstProblem(report), signers };
}

/** What a record claims, read without trusting it (it is only used once verification has said how far to trust it). */
function readClaims(bytes: Buffer): Partial<RunRecord> {
  try {
    const statement = JSON.parse(bytes.toString('utf8')) as { predicate?: Partial<RunRecord> | null };
    return typeof statement.predicate === 'object' && statement.predicate !== null ? statement.predicate : {};
  } catch {
    return {};
  }
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

async function readEntry(store: EvidenceStore, ref: BundleRef, options: HistoryOptions): Promise<RunEntry | undefined> {
  const base = { scenarioId: ref.scenarioId, runId: ref.runId, bundle: store.bundleLocation(ref), signers: [] as string[] };
  const recordBytes = await store.readFile(ref, 'record.json');
  if (!recordBytes) {
    const at = runIdTime(ref.runId);
    return at === undefined ? undefined : { ...base, verification: 'unfinished', startedAt: new Date(at).toISOString(), hasReport: false };
  }
  const recordSha256 = createHash('sha256').update(recordBytes).digest('hex');
  const files = await store.statFiles(ref);
  const key = verifyIndexKey({
    recordSha256,
    files,
    keyids: options.keys.map((k) => k.keyid),
    threshold: options.mode === 'unverified' ? 0 : (options.threshold ?? 1),
    mode: options.mode,
  });
  let checked = options.index?.get(key);
  if (!checked) {
    checked = await verify(store, ref, options);
    options.index?.set(key, checked);
  }
  const claims = readClaims(recordBytes);
  const startedAt = text(claims.startedAt) ?? new Date(runIdTime(ref.runId) ?? 0).toISOString();
  const entry: RunEntry = { ...base, ...checked, recordSha256, startedAt, hasReport: files.some((f) => f.name === 'report.html') };
  if (claims.scenario?.id !== undefined && claims.scenario.id !== ref.scenarioId && entry.verification !== 'invalid') {
    entry.verification = 'invalid';
    entry.problem = `the record is of scenario ${claims.scenario.id} but is filed under ${ref.scenarioId}`;
  } else if (claims.runId !== undefined && claims.runId !== ref.runId && entry.verification !== 'invalid') {
    entry.verification = 'invalid';
    entry.problem = `the record is of run ${claims.runId} but is filed as ${ref.runId}`;
  }
  if (text(claims.finishedAt)) entry.finishedAt = claims.finishedAt as string;
  if (typeof claims.durationMs === 'number') entry.durationMs = claims.durationMs;
  if (claims.verdict !== undefined) entry.verdict = claims.verdict;
  if (claims.endReason !== undefined) entry.endReason = claims.endReason;
  if (text(claims.operator)) entry.operator = claims.operator as string;
  if (text(claims.scenario?.sha256)) entry.scenarioSha256 = claims.scenario?.sha256 as string;
  if (claims.objectives?.rto && claims.objectives.rpo) entry.objectives = { rto: claims.objectives.rto, rpo: claims.objectives.rpo };
  if (claims.scenario) entry.scenario = { title: String(claims.scenario.title ?? ''), owner: String(claims.scenario.owner ?? ''), kind: String(claims.scenario.kind ?? '') };
  return entry;
}

/** Every run of a scenario in the store, oldest first. */
export async function readRuns(store: EvidenceStore, scenarioId: string, options: HistoryOptions): Promise<RunEntry[]> {
  const runs: RunEntry[] = [];
  for (const ref of await store.listBundles(scenarioId)) {
    const entry = await readEntry(store, ref, options);
    if (entry) runs.push(entry);
  }
  return runs.sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt) || (a.runId < b.runId ? -1 : 1));
}
