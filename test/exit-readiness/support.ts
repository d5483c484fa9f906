/** Step records with exit facts, as runners report them, for the exit-readiness tests. */
import { builtinRunners } from '../../runners/index.js';
import type { RunnerCatalog } from '../../src/runner-contract.js';
import type { AttemptRecord, StepRecord } from '../../src/evidence/run-record.js';
import type { DumpFacts, ExportFacts, KeyList, ReimportFacts } from '../../src/exit-readiness/facts.js';
import type { ExitPlan } from '../../src/scenario/types.js';
import { scenario, step } from '../engine/support.js';

export const t0 = Date.parse('2026-11-28T10:00:00.000Z');
export const none: KeyList = { count: 0, keys: [] };
export const hex = (c: string): string => c.repeat(64);

export function exportFacts(extra: Partial<ExportFacts> = {}): ExportFacts {
  return {
    kind: 'export',
    source: 's3://shop-data/',
    destination: '../.lab/exit-export',
    versions: false,
    listed: { objects: 3000, bytes: 1_000_000_000 },
    exported: { objects: 3000, bytes: 1_000_000_000 },
    resumed: { objects: 0, bytes: 0 },
    transferred: { bytes: 1_000_000_000, durationMs: 9_000 },
    reconciliation: { listedAtEnd: { objects: 3000, bytes: 1_000_000_000 }, missing: none, extra: none, changed: none, corrupted: none, failed: none, vanished: none },
    destinationVerified: true,
    formats: {
      csv: { objects: 2000, bytes: 600_000_000, examples: ['orders/2026-01.csv'] },
      json: { objects: 1000, bytes: 400_000_000, examples: ['customers/1.json'] },
    },
    metadata: { fields: ['key', 'size', 'etag', 'sha256', 'lastModified', 'contentType', 'metadata'], withoutContentType: 0 },
    manifest: { attachment: 'manifest.jsonl', entries: 3000, sha256: hex('a') },
    ...extra,
  };
}

export function dumpFacts(extra: Partial<DumpFacts> = {}): DumpFacts {
  return { kind: 'dump', file: 'export/dumps/shop.dump', host: 'db1.example', bytes: 500_000_000, sha256: hex('d'), format: 'pg-dump', durationMs: 8_000, ...extra };
}

export function reimportFacts(extra: Partial<ReimportFacts> = {}): ReimportFacts {
  const all = { objects: 3000, bytes: 1_000_000_000 };
  return { kind: 'reimport', destination: 's3://exit-reimport/', expected: all, imported: all, verified: all, missing: none, mismatched: none, durationMs: 20_000, ...extra };
}

export interface AttemptSpec {
  /** Offset of the attempt's start from t0. */
  atMs: number;
  durationMs: number;
  status?: 'passed' | 'failed';
  facts?: unknown;
  attachments?: AttemptRecord['attachments'];
}

/** A step record as the engine projects it; the facts go in the last attempt's `details.exit`. */
export function record(id: string, uses: string, attempts: AttemptSpec[], extra: Partial<StepRecord> = {}): StepRecord {
  const last = attempts.at(-1);
  const role = (builtinRunners as RunnerCatalog)[uses]?.role;
  return {
    id,
    phase: 'steps',
    uses,
    ...(role ? { role } : {}),
    status: last?.status ?? 'passed',
    continueOnError: false,
    background: false,
    marks: [],
    attempts: attempts.map((a, index) => ({
      attempt: index + 1,
      startedAt: new Date(t0 + a.atMs).toISOString(),
      durationMs: a.durationMs,
      status: a.status ?? 'passed',
      ...(a.facts !== undefined && { details: { exit: a.facts } }),
      ...(a.attachments && { attachments: a.attachments }),
    })),
    outputs: {},
    ...extra,
  };
}

export const manifestAttachment = (stepId: string): NonNullable<AttemptRecord['attachments']> => [
  { name: 'manifest.jsonl', file: `attachments/${stepId}/1/manifest.jsonl`, sha256: hex('b'), bytes: 812_345 },
];

export function exitScenario(plan: Partial<ExitPlan> = {}, exitPeriodMs?: number) {
  return scenario({
    kind: 'exit',
    objectives: exitPeriodMs === undefined ? {} : { exitPeriodMs },
    exit: { openFormats: ['csv', 'json', 'pg-dump'], reimportSteps: [], required: ['complete', 'integral', 'open-formats', 'metadata', 'reimport', 'within-period'], ...plan },
    steps: [step('placeholder')],
  });
}
