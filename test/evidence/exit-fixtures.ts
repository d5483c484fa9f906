/** A hand-built exit run record: one item of each status, so every rendering path shows. No engine involved. */
import type { ExitReadinessRecord } from '../../src/evidence/exit-record.js';
import type { RunRecord } from '../../src/evidence/run-record.js';
import { sampleRecord } from './fixtures.js';

const day = 86_400_000;
export const manifestFile = 'attachments/export-objects/1/manifest.jsonl';

export function exitReadiness(): ExitReadinessRecord {
  return {
    plan: { openFormats: ['csv', 'json', 'pg-dump'], dataVolumeBytes: 12 * 1024 ** 4, egressPricePerGB: 0.09, currency: 'EUR', maxCost: 1000, reimportSteps: ['restore-dump'], required: ['complete', 'integral', 'open-formats', 'metadata', 'reimport', 'within-period'] },
    checklist: [
      { check: 'complete', status: 'met', basis: 'measured', required: true, summary: '3,012 objects (1.2 GiB) exported; fresh listing at the end: 0 missing, 0 extra, 0 changed' },
      { check: 'integral', status: 'met', basis: 'measured', required: true, summary: 'SHA-256 recorded for 3,012 objects and 1 dump' },
      { check: 'open-formats', status: 'missed', basis: 'measured', required: true, summary: '1 format is not open: parquet: 12 objects (2.86 MiB)' },
      { check: 'metadata', status: 'not-covered', basis: 'not covered', required: true, summary: 'export-archive reported no export facts' },
      { check: 'reimport', status: 'met', basis: 'measured', required: true, summary: 'restore-dump passed' },
      { check: 'within-period', status: 'met', basis: 'declared', required: true, summary: 'projected 1d26m for 12 TiB (declared) at 143 MiB/s; the period is 30d' },
      { check: 'cost', status: 'missed', basis: 'declared', required: false, summary: 'about 1,187.47 EUR for 13,194.14 GB of egress at 0.09 EUR/GB; the limit is 1,000.00 EUR' },
    ],
    exports: [
      {
        stepId: 'export-objects',
        status: 'passed',
        source: 's3://shop-data/',
        destination: '../.lab/exit-export',
        listed: { objects: 3012, bytes: 1_288_490_189 },
        exported: { objects: 3012, bytes: 1_288_490_189 },
        resumed: { objects: 0, bytes: 0 },
        transferred: { bytes: 1_288_490_189, durationMs: 9_000 },
        throughputBytesPerSec: 143_165_576,
        reconciliation: { missing: 0, extra: 0, changed: 0, corrupted: 0, failed: 0, vanished: 0 },
        deletionsAccepted: false,
        destinationVerified: true,
        manifest: { file: manifestFile, sha256: 'b'.repeat(64), entries: 3012 },
      },
      {
        stepId: 'export-archive',
        status: 'passed',
        source: 's3://archive/',
        destination: 'javascript:alert(1)',
        listed: { objects: 1, bytes: 1 },
        exported: { objects: 1, bytes: 1 },
        resumed: { objects: 1, bytes: 1 },
        transferred: { bytes: 0, durationMs: 0 },
        reconciliation: { missing: 0, extra: 0, changed: 0, corrupted: 0, failed: 0, vanished: 1 },
        deletionsAccepted: true,
        destinationVerified: false,
        manifest: { file: 'javascript:alert(1)', sha256: 'c'.repeat(64), entries: 1 },
      },
    ],
    dumps: [{ stepId: 'dump-db', status: 'passed', file: 'export/dumps/shop.dump', host: 'db1.example', bytes: 50_000_000, sha256: 'd'.repeat(64), format: 'pg-dump', durationMs: 8_000 }],
    reimports: [{ stepId: 'restore-dump', uses: 'local', status: 'passed', declared: true }],
    formats: [
      { format: 'csv', objects: 3000, bytes: 1_285_000_000, open: true, examples: ['orders/2026-01.csv'] },
      { format: 'parquet', objects: 12, bytes: 3_000_000, open: false, examples: ['lake/<a>.parquet'] },
    ],
    findings: ['format parquet is not declared open: 12 objects (2.86 MiB), e.g. "lake/<a>.parquet"'],
    projection: { volumeBytes: 12 * 1024 ** 4, volumeBasis: 'declared', sampleBytes: 1_338_490_189, sampleMs: 10_000, throughputBytesPerSec: 133_849_018.9, projectedMs: 98_576_220, periodMs: 30 * day },
    egress: { bytes: 12 * 1024 ** 4, pricePerGB: 0.09, currency: 'EUR', estimatedCost: 1187.47, maxCost: 1000 },
  };
}

/** The sample record turned into an exit run judged on the checklist above. */
export function exitRecord(): RunRecord {
  const base = sampleRecord();
  return {
    ...base,
    verdict: 'PARTIAL',
    verdictReasons: ['open formats missed: 1 format is not open: parquet: 12 objects (2.86 MiB)', 'egress cost missed: about 1,187.47 EUR', 'metadata exported not covered (required): export-archive reported no export facts'],
    scenario: { ...base.scenario, id: 'storage-exit', kind: 'exit', title: 'The shop leaves its provider' },
    objectives: { ...base.objectives, exitPeriod: { status: 'met', targetMs: 30 * day, achievedMs: 98_576_220, basis: 'projected: 12 TiB (declared) at 128 MiB/s measured over 1.25 GiB in 10s' } },
    exitReadiness: exitReadiness(),
  };
}
