/** The exit-readiness section: checklist, rows, projection and cost, from step records alone. */
import { describe, expect, it } from 'vitest';
import { computeExitReadiness, exitPeriodFacts } from '../../src/exit-readiness/section.js';
import { decideVerdict } from '../../src/engine/verdict.js';
import { computeObjectives } from '../../src/engine/objectives.js';
import type { ExitCheckRecord } from '../../src/evidence/exit-record.js';
import type { StepRecord } from '../../src/evidence/run-record.js';
import { dumpFacts, exitScenario, exportFacts, hex, manifestAttachment, none, record, reimportFacts } from './support.js';
import { scenario, step } from '../engine/support.js';

const day = 86_400_000;
const tib12 = 12 * 1024 ** 4;

/** Objects and a dump exported in parallel, objects re-imported, the dump restored. */
function happySteps(): StepRecord[] {
  return [
    record('export-objects', 's3.export', [{ atMs: 0, durationMs: 10_000, facts: exportFacts(), attachments: manifestAttachment('export-objects') }], { group: 'transfer' }),
    record('dump-db', 'ssh.dump', [{ atMs: 2_000, durationMs: 8_000, facts: dumpFacts() }], { group: 'transfer' }),
    record('reimport-objects', 's3.import', [{ atMs: 11_000, durationMs: 20_000, facts: reimportFacts() }]),
    record('restore-dump', 'local', [{ atMs: 31_000, durationMs: 5_000 }]),
  ];
}

const happyPlan = { dataVolumeBytes: tib12, egressPricePerGB: 0.09, currency: 'EUR', maxCost: 2000, reimportSteps: ['restore-dump'] };

function row(checklist: readonly ExitCheckRecord[] | undefined, check: string): ExitCheckRecord | undefined {
  return checklist?.find((item) => item.check === check);
}

function verdictOf(steps: StepRecord[], readiness: ReturnType<typeof computeExitReadiness>, exitPeriodMs?: number) {
  const objectives = computeObjectives(exitPeriodMs === undefined ? {} : { exitPeriodMs }, { ...(readiness && { exitProjection: exitPeriodFacts(readiness)! }) });
  return decideVerdict({ endReason: 'completed', steps, cleanup: [], objectives, ...(readiness && { exitChecklist: readiness.checklist }) });
}

describe('computeExitReadiness', () => {
  it('is absent for other kinds', () => {
    expect(computeExitReadiness(scenario({ steps: [step('a')] }), happySteps())).toBeUndefined();
  });

  it('a clean exit: every item met, measured or declared, and the verdict PASS', () => {
    const steps = happySteps();
    const readiness = computeExitReadiness(exitScenario(happyPlan, 30 * day), steps)!;
    expect(readiness.checklist).toEqual([
      { check: 'complete', status: 'met', basis: 'measured', required: true, summary: '3,000 objects (954 MiB) exported; fresh listing at the end: 0 missing, 0 extra, 0 changed; 1 dump (477 MiB) written in full' },
      { check: 'integral', status: 'met', basis: 'measured', required: true, summary: 'SHA-256 recorded for 3,000 objects and 1 dump; copies at the destination read back and matched; 0 corrupted' },
      { check: 'open-formats', status: 'met', basis: 'measured', required: true, summary: 'all 3,001 exported files are in open formats (csv, pg-dump, json)' },
      { check: 'metadata', status: 'met', basis: 'measured', required: true, summary: 'the manifests record key, size, ETag, SHA-256, last modified and content type of every object' },
      { check: 'reimport', status: 'met', basis: 'measured', required: true, summary: '3,000 objects (954 MiB) put on the neutral target and read back (SHA-256 matched); restore-dump passed' },
      { check: 'within-period', status: 'met', basis: 'declared', required: true, summary: 'projected 1d26m for 12 TiB (declared) at 143 MiB/s; the period is 30d' },
      { check: 'cost', status: 'met', basis: 'declared', required: false, summary: 'about 1,187.47 EUR for 13,194.14 GB of egress at 0.09 EUR/GB; the limit is 2,000.00 EUR' },
    ]);
    // The dump ran alongside the export: 10 s of wall time, not 18.
    expect(readiness.projection).toEqual({
      volumeBytes: tib12,
      volumeBasis: 'declared',
      sampleBytes: 1_500_000_000,
      sampleMs: 10_000,
      throughputBytesPerSec: 150_000_000,
      projectedMs: Math.round((tib12 * 10_000) / 1_500_000_000),
      periodMs: 30 * day,
    });
    expect(readiness.egress).toEqual({ bytes: tib12, pricePerGB: 0.09, currency: 'EUR', estimatedCost: 1187.47, maxCost: 2000 });
    expect(readiness.exports).toEqual([
      {
        stepId: 'export-objects',
        status: 'passed',
        source: 's3://shop-data/',
        destination: '../.lab/exit-export',
        listed: { objects: 3000, bytes: 1e9 },
        exported: { objects: 3000, bytes: 1e9 },
        resumed: { objects: 0, bytes: 0 },
        transferred: { bytes: 1e9, durationMs: 9_000 },
        throughputBytesPerSec: 1e9 / 9,
        reconciliation: { missing: 0, extra: 0, changed: 0, corrupted: 0, failed: 0, vanished: 0 },
        deletionsAccepted: false,
        destinationVerified: true,
        manifest: { file: 'attachments/export-objects/1/manifest.jsonl', sha256: hex('b'), entries: 3000 },
      },
    ]);
    expect(readiness.dumps).toEqual([{ stepId: 'dump-db', status: 'passed', file: 'export/dumps/shop.dump', host: 'db1.example', bytes: 5e8, sha256: hex('d'), format: 'pg-dump', durationMs: 8_000 }]);
    expect(readiness.reimports).toEqual([
      { stepId: 'reimport-objects', uses: 's3.import', status: 'passed', declared: false, destination: 's3://exit-reimport/', expected: { objects: 3000, bytes: 1e9 }, verified: { objects: 3000, bytes: 1e9 }, missing: 0, mismatched: 0 },
      { stepId: 'restore-dump', uses: 'local', status: 'passed', declared: true },
    ]);
    expect(readiness.formats).toEqual([
      { format: 'csv', objects: 2000, bytes: 6e8, open: true, examples: ['orders/2026-01.csv'] },
      { format: 'pg-dump', objects: 1, bytes: 5e8, open: true, examples: ['export/dumps/shop.dump'] },
      { format: 'json', objects: 1000, bytes: 4e8, open: true, examples: ['customers/1.json'] },
    ]);
    expect(readiness.findings).toEqual([]);
    expect(exitPeriodFacts(readiness)).toEqual({ achievedMs: readiness.projection.projectedMs, basis: 'projected: 12 TiB (declared) at 143 MiB/s measured over 1.4 GiB in 10s' });
    expect(verdictOf(steps, readiness, 30 * day)).toEqual({ verdict: 'PASS', reasons: [] });
  });

  it('without a declared volume, projects the volume the exports listed (basis measured)', () => {
    const readiness = computeExitReadiness(exitScenario({}, 30 * day), happySteps())!;
    expect(readiness.projection).toMatchObject({ volumeBytes: 1_500_000_000, volumeBasis: 'listed', projectedMs: 10_000 });
    expect(row(readiness.checklist, 'within-period')).toEqual({
      check: 'within-period', status: 'met', basis: 'measured', required: true, summary: 'projected 10s for 1.4 GiB (listed) at 143 MiB/s; the period is 30d',
    });
    expect(row(readiness.checklist, 'cost')).toEqual({ check: 'cost', status: 'not-covered', basis: 'not covered', required: false, summary: 'no egress price declared (exit.egressPricePerGB)' });
    expect(readiness.egress).toEqual({ bytes: 1_500_000_000 });
    expect(readiness.findings).toEqual(['the projection uses the volume the exports listed (1.4 GiB); declare exit.dataVolume when the contract covers more']);
  });

  it('a projection beyond the period fails the run once, as "exit period missed"', () => {
    const steps = happySteps();
    const readiness = computeExitReadiness(exitScenario(happyPlan, day), steps)!;
    expect(row(readiness.checklist, 'within-period')).toMatchObject({ status: 'missed', basis: 'declared' });
    expect(verdictOf(steps, readiness, day)).toEqual({ verdict: 'FAIL', reasons: ['exit period missed: projected 1d26m for 12 TiB (declared) at 143 MiB/s; the period is 1d'] });
  });

  it('parallel exports count their wall time once; exports one after the other add up', () => {
    const both = (secondAtMs: number): StepRecord[] => [
      record('a', 's3.export', [{ atMs: 0, durationMs: 10_000, facts: exportFacts() }]),
      record('b', 's3.export', [{ atMs: secondAtMs, durationMs: 10_000, facts: exportFacts() }]),
    ];
    expect(computeExitReadiness(exitScenario(), both(5_000))!.projection).toMatchObject({ sampleBytes: 2e9, sampleMs: 15_000 });
    expect(computeExitReadiness(exitScenario(), both(0))!.projection).toMatchObject({ sampleBytes: 2e9, sampleMs: 10_000 });
    expect(computeExitReadiness(exitScenario(), both(20_000))!.projection).toMatchObject({ sampleBytes: 2e9, sampleMs: 20_000 });
  });

  it('a failed export with gaps: complete missed (FAIL), the keys in the findings', () => {
    const gaps = { ...exportFacts().reconciliation, missing: { count: 7, keys: ['a', 'b', 'c', 'd', 'e', 'f', 'g'] }, changed: { count: 1, keys: ['h'] } };
    const steps = [record('export-objects', 's3.export', [{ atMs: 0, durationMs: 10_000, status: 'failed', facts: exportFacts({ reconciliation: gaps }), attachments: manifestAttachment('export-objects') }], { message: '8 objects differ from the fresh listing' })];
    const readiness = computeExitReadiness(exitScenario({ reimportSteps: [] }), steps)!;
    expect(row(readiness.checklist, 'complete')).toEqual({
      check: 'complete', status: 'missed', basis: 'measured', required: true,
      summary: 'export-objects failed: 8 objects differ from the fresh listing; export-objects: 7 missing ("a", "b", "c", …), 1 changed ("h") at the end',
    });
    expect(readiness.findings).toEqual([
      'export-objects: 7 objects listed at the end but not exported: "a", "b", "c", "d", "e", …',
      'export-objects: 1 object changed during the export: "h"',
      'the projection uses the volume the exports listed (954 MiB); declare exit.dataVolume when the contract covers more',
    ]);
    expect(verdictOf(steps, readiness).verdict).toBe('FAIL');
  });

  it('an object deleted before it was read is a gap even when the step passed: complete missed (FAIL), its key in the summary and the findings', () => {
    const listed = { objects: 20, bytes: 20_000 };
    const facts = exportFacts({ listed, exported: { objects: 19, bytes: 19_000 }, reconciliation: { ...exportFacts().reconciliation, listedAtEnd: { objects: 19, bytes: 19_000 }, vanished: { count: 1, keys: ['obj-14.bin'] } } });
    const steps = [record('export-objects', 's3.export', [{ atMs: 0, durationMs: 1_000, facts, attachments: manifestAttachment('export-objects') }])];
    const readiness = computeExitReadiness(exitScenario({ required: ['complete'] }), steps)!;
    expect(row(readiness.checklist, 'complete')).toMatchObject({
      status: 'missed',
      summary: 'export-objects: 1 vanished ("obj-14.bin"): listed at the start, deleted at the source before it was read',
    });
    expect(readiness.exports[0]).toMatchObject({ reconciliation: { vanished: 1 }, deletionsAccepted: false });
    expect(readiness.findings).toContain('export-objects: 1 object listed at the start but deleted at the source before it was read (not exported): "obj-14.bin"');
    expect(verdictOf(steps, readiness)).toMatchObject({ verdict: 'FAIL' });
  });

  it('deletions accepted (acceptDeletions): complete met, but the summary and the findings still name the deleted keys', () => {
    const r = exportFacts().reconciliation;
    const facts = exportFacts({ deletionsAccepted: true, reconciliation: { ...r, vanished: { count: 1, keys: ['obj-14.bin'] }, extra: { count: 1, keys: ['obj-15.bin'] } } });
    const steps = [record('export-objects', 's3.export', [{ atMs: 0, durationMs: 1_000, facts, attachments: manifestAttachment('export-objects') }])];
    const readiness = computeExitReadiness(exitScenario({ required: ['complete'] }), steps)!;
    expect(row(readiness.checklist, 'complete')).toMatchObject({
      status: 'met',
      summary: '3,000 objects (954 MiB) exported; fresh listing at the end: 0 missing, 0 changed; deleted at the source during the export, accepted (acceptDeletions): export-objects: 1 vanished ("obj-14.bin"), 1 extra ("obj-15.bin")',
    });
    expect(readiness.findings.slice(0, 2)).toEqual([
      'export-objects: 1 object exported but no longer listed (deleted during the export); accepted (acceptDeletions): "obj-15.bin"',
      'export-objects: 1 object listed at the start but deleted at the source before it was read (not exported); accepted (acceptDeletions): "obj-14.bin"',
    ]);
    expect(readiness.exports[0]).toMatchObject({ reconciliation: { vanished: 1, extra: 1 }, deletionsAccepted: true });
    expect(verdictOf(steps, readiness)).toEqual({ verdict: 'PASS', reasons: [] });
    // Accepted deletions excuse nothing else.
    const changed = exportFacts({ deletionsAccepted: true, reconciliation: { ...r, vanished: { count: 1, keys: ['obj-14.bin'] }, changed: { count: 1, keys: ['obj-3.bin'] } } });
    const other = computeExitReadiness(exitScenario({ required: ['complete'] }), [record('export-objects', 's3.export', [{ atMs: 0, durationMs: 1_000, facts: changed }])])!;
    expect(row(other.checklist, 'complete')).toMatchObject({ status: 'missed', summary: 'export-objects: 1 changed ("obj-3.bin") at the end' });
  });

  it('an export that reported nothing: the items it bears on are not covered, and the verdict is INCONCLUSIVE', () => {
    const steps = [
      record('export-objects', 's3.export', [{ atMs: 0, durationMs: 1_000 }]),
      record('restore', 'local', [{ atMs: 1_000, durationMs: 1_000 }]),
    ];
    const readiness = computeExitReadiness(exitScenario({ reimportSteps: ['restore'] }, 30 * day), steps)!;
    expect(readiness.checklist.map(({ check, status, basis }) => `${check}: ${status} (${basis})`)).toEqual([
      'complete: not-covered (not covered)',
      'integral: not-covered (not covered)',
      'open-formats: not-covered (not covered)',
      'metadata: not-covered (not covered)',
      'reimport: met (measured)',
      'within-period: not-covered (not covered)',
      'cost: not-covered (not covered)',
    ]);
    expect(verdictOf(steps, readiness, 30 * day)).toEqual({
      verdict: 'INCONCLUSIVE',
      reasons: [
        'export complete not covered (required): export-objects reported no export facts',
        'export integral not covered (required): export-objects reported no export facts',
        'open formats not covered (required): export-objects reported no export facts',
        'metadata exported not covered (required): export-objects reported no export facts',
        'exit period not covered (required): no data volume: none declared (exit.dataVolume) and no export listed one',
      ],
    });
    expect(readiness.findings).toEqual(['export-objects reported no export facts']);
  });

  it('details of the wrong shape are ignored, not trusted', () => {
    const forged = { ...exportFacts(), exported: { objects: -1, bytes: 'lots' } };
    const steps = [record('export-objects', 's3.export', [{ atMs: 0, durationMs: 1_000, facts: forged }]), record('odd', 'local', [{ atMs: 0, durationMs: 1, facts: { kind: 'dump', file: 'x' } }])];
    const readiness = computeExitReadiness(exitScenario(), steps)!;
    expect(readiness.exports).toEqual([]);
    expect(readiness.dumps).toEqual([]);
    expect(row(readiness.checklist, 'complete')?.status).toBe('not-covered');
  });

  it('only the last attempt counts: a retried export that ends clean is complete', () => {
    const corrupted = { ...exportFacts().reconciliation, corrupted: { count: 2, keys: ['x', 'y'] } };
    const steps = [record('export-objects', 's3.export', [
      { atMs: 0, durationMs: 5_000, status: 'failed', facts: exportFacts({ reconciliation: corrupted }) },
      { atMs: 6_000, durationMs: 4_000, facts: exportFacts({ resumed: { objects: 1000, bytes: 3e8 }, transferred: { bytes: 7e8, durationMs: 3_500 } }), attachments: manifestAttachment('export-objects') },
    ])];
    const readiness = computeExitReadiness(exitScenario({}, 30 * day), steps)!;
    expect(row(readiness.checklist, 'integral')?.status).toBe('met');
    expect(readiness.projection).toMatchObject({ sampleBytes: 7e8, sampleMs: 4_000 });
    expect(readiness.findings).toContain('export-objects: 1,000 objects (286 MiB) taken from an interrupted earlier export without copying again');
  });

  it('formats that are not open: open-formats missed (PARTIAL), and findings with examples', () => {
    const formats = { ...exportFacts().formats, parquet: { objects: 12, bytes: 3_000_000, examples: ['lake/a.parquet', 'lake/b.parquet'] } };
    const steps = [record('export-objects', 's3.export', [{ atMs: 0, durationMs: 10_000, facts: exportFacts({ formats }), attachments: manifestAttachment('export-objects') }]), record('restore', 'local', [{ atMs: 10_000, durationMs: 1 }])];
    const readiness = computeExitReadiness(exitScenario({ reimportSteps: ['restore'], egressPricePerGB: 0.09, currency: 'EUR', maxCost: 0.01 }, 30 * day), steps)!;
    expect(row(readiness.checklist, 'open-formats')).toMatchObject({ status: 'missed', summary: '1 format is not open: parquet: 12 objects (2.86 MiB)' });
    expect(readiness.findings[0]).toBe('format parquet is not declared open: 12 objects (2.86 MiB), e.g. "lake/a.parquet", "lake/b.parquet"');
    expect(verdictOf(steps, readiness, 30 * day)).toEqual({
      verdict: 'PARTIAL',
      reasons: ['open formats missed: 1 format is not open: parquet: 12 objects (2.86 MiB)', 'egress cost missed: about 0.09 EUR for 1 GB of egress at 0.09 EUR/GB; the limit is 0.01 EUR'],
    });
  });

  it('no open formats declared: not covered, and the tallies say nothing about openness', () => {
    const readiness = computeExitReadiness(exitScenario({ openFormats: [], required: [] }), happySteps())!;
    expect(row(readiness.checklist, 'open-formats')).toMatchObject({ status: 'not-covered', required: false, summary: 'no open formats declared (exit.openFormats)' });
    expect(readiness.formats.every((f) => !('open' in f))).toBe(true);
    // Nothing is required: what is not covered is shown, and the verdict does not depend on it.
    expect(verdictOf(happySteps(), readiness).verdict).toBe('PASS');
  });

  it('metadata: a manifest without ETags is missed; objects without a content type at the source are a finding only', () => {
    const lacking = exportFacts({ metadata: { fields: ['key', 'size', 'sha256', 'lastModified'], withoutContentType: 3 } });
    const readiness = computeExitReadiness(exitScenario(), [record('e', 's3.export', [{ atMs: 0, durationMs: 1, facts: lacking }])])!;
    expect(row(readiness.checklist, 'metadata')).toMatchObject({ status: 'missed', summary: 'e: the manifest lacks etag' });
    expect(readiness.findings).toContain('e: 3 objects without a content type at the source');
  });

  it('an empty bucket exported: no entry lacks anything', () => {
    const nothing = { objects: 0, bytes: 0 };
    const empty = exportFacts({ listed: nothing, exported: nothing, transferred: { bytes: 0, durationMs: 5 }, formats: {}, metadata: { fields: [], withoutContentType: 0 } });
    const readiness = computeExitReadiness(exitScenario(), [record('e', 's3.export', [{ atMs: 0, durationMs: 10, facts: empty }])])!;
    expect(readiness.checklist.slice(0, 4).map((item) => `${item.check}: ${item.status}`)).toEqual(['complete: met', 'integral: met', 'open-formats: not-covered', 'metadata: met']);
    expect(row(readiness.checklist, 'open-formats')?.summary).toBe('no exported file was classified');
  });

  it('integrity: copies not read back are not covered; corrupted objects are missed', () => {
    const unverified = computeExitReadiness(exitScenario(), [record('e', 's3.export', [{ atMs: 0, durationMs: 1, facts: exportFacts({ destinationVerified: false }) }])])!;
    expect(row(unverified.checklist, 'integral')).toMatchObject({ status: 'not-covered', summary: 'e: the copies at the destination were not read back' });
    const corrupted = { ...exportFacts().reconciliation, corrupted: { count: 2, keys: ['x', 'y'] } };
    const bad = computeExitReadiness(exitScenario(), [record('e', 's3.export', [{ atMs: 0, durationMs: 1, facts: exportFacts({ reconciliation: corrupted }) }])])!;
    expect(row(bad.checklist, 'integral')).toMatchObject({ status: 'missed', summary: 'e: 2 objects corrupted (digest mismatch)' });
  });

  it('re-import: a declared step that failed, or objects not read back, miss it; a group id names its members', () => {
    const short = reimportFacts({ verified: { objects: 2990, bytes: 999_000_000 }, missing: { count: 10, keys: ['k1'] } });
    const steps = [
      ...happySteps().slice(0, 2),
      record('reimport-objects', 's3.import', [{ atMs: 11_000, durationMs: 1, facts: short }], { group: 'neutral' }),
      record('restore-dump', 'local', [{ atMs: 12_000, durationMs: 1, status: 'failed' }], { group: 'neutral', message: 'exit code 1, expected 0' }),
    ];
    const readiness = computeExitReadiness(exitScenario({ reimportSteps: ['neutral'] }), steps)!;
    expect(row(readiness.checklist, 'reimport')).toMatchObject({
      status: 'missed',
      summary: 'reimport-objects: 10 of 3,000 objects not verified, 10 missing on the neutral target; restore-dump failed: exit code 1, expected 0',
    });
    expect(readiness.reimports.map((r) => [r.stepId, r.declared])).toEqual([['reimport-objects', true], ['restore-dump', true]]);
    expect(row(computeExitReadiness(exitScenario(), happySteps().slice(0, 2))!.checklist, 'reimport')).toMatchObject({
      status: 'not-covered', summary: 'no re-import step declared (exit.reimport) and no s3.import ran',
    });
  });

  it('cost without a limit is reported, not judged', () => {
    const readiness = computeExitReadiness(exitScenario({ egressPricePerGB: 0.05, currency: 'USD', required: ['cost'] }), happySteps())!;
    expect(row(readiness.checklist, 'cost')).toEqual({ check: 'cost', status: 'reported', basis: 'declared', required: true, summary: 'about 0.08 USD for 1.5 GB of egress at 0.05 USD/GB' });
    expect(verdictOf(happySteps(), readiness).verdict).toBe('PASS');
  });

  it('a dump without a digest is not one to vouch for', () => {
    const readiness = computeExitReadiness(exitScenario(), [record('d', 'ssh.dump', [{ atMs: 0, durationMs: 1, facts: { ...dumpFacts(), sha256: 'n/a' } }])])!;
    expect(readiness.dumps).toEqual([]);
    expect(row(readiness.checklist, 'integral')).toMatchObject({ status: 'not-covered', summary: 'd reported no export facts' });
    expect(none.count).toBe(0);
  });
});
