/**
 * The exit-readiness section of the run record (`kind: exit` runs): a checklist a contract manager reads,
 * and the figures behind it. Computed from the steps' reported facts (src/exit-readiness/section.ts).
 */
import type { DumpFacts } from '../exit-readiness/facts.js';
import type { ExitCheck, ExitPlan } from '../scenario/types.js';
import type { StepStatus } from './run-record.js';

export const exitCheckStatuses = ['met', 'missed', 'reported', 'not-covered'] as const;
/** `reported`: a figure without a limit to judge it against (an egress cost without `maxCost`). */
export type ExitCheckStatus = (typeof exitCheckStatuses)[number];

export const exitCheckBases = ['measured', 'declared', 'not covered'] as const;
/** `measured`: drillbook observed it in this run; `declared`: it rests on a figure the scenario declares. */
export type ExitCheckBasis = (typeof exitCheckBases)[number];

/** How reports and verdict reasons name the items. */
export const exitCheckLabels: Readonly<Record<ExitCheck, string>> = {
  complete: 'export complete',
  integral: 'export integral',
  'open-formats': 'open formats',
  metadata: 'metadata exported',
  reimport: 're-import proven',
  'within-period': 'exit period',
  cost: 'egress cost',
};

export interface ExitCheckRecord {
  check: ExitCheck;
  status: ExitCheckStatus;
  basis: ExitCheckBasis;
  /** Listed in `exit.require` (or by default): not covered makes the verdict INCONCLUSIVE. */
  required: boolean;
  /** One line a contract manager understands. */
  summary: string;
}

export interface ExitVolume {
  objects: number;
  bytes: number;
}

export interface ExitExportRecord {
  stepId: string;
  /** The step's status; the facts are those of its last attempt. */
  status: StepStatus;
  source: string;
  destination: string;
  listed: ExitVolume;
  exported: ExitVolume;
  resumed: ExitVolume;
  transferred: { bytes: number; durationMs: number };
  /** transferred.bytes ÷ transferred.durationMs, as the runner timed its copying; absent when it read nothing. */
  throughputBytesPerSec?: number;
  /** `vanished`: listed at the start, deleted at the source before it was read (absent in records sealed before it was counted). */
  reconciliation: { missing: number; extra: number; changed: number; corrupted: number; failed: number; vanished?: number };
  /** `acceptDeletions`: extra and vanished objects are listed, not gaps. */
  deletionsAccepted?: boolean;
  destinationVerified: boolean;
  /** The manifest as the bundle keeps it (bundle-relative path and digest of the stored file). */
  manifest?: { file: string; sha256: string; entries: number };
}

/** A dump as `ssh.dump` reported it, with its step. */
export interface ExitDumpRecord extends Omit<DumpFacts, 'kind'> {
  stepId: string;
  status: StepStatus;
}

export interface ExitReimportRecord {
  stepId: string;
  uses: string;
  status: StepStatus;
  /** Named in `exit.reimport`. */
  declared: boolean;
  /** What an `s3.import` proved, when the step reported it. */
  destination?: string;
  expected?: ExitVolume;
  verified?: ExitVolume;
  missing?: number;
  mismatched?: number;
}

export interface ExitFormatRecord {
  format: string;
  objects: number;
  bytes: number;
  /** Absent when the scenario declares no open formats. */
  open?: boolean;
  examples: string[];
}

export interface ExitProjectionRecord {
  /** The whole volume to move: declared (`exit.dataVolume`) or what the exports listed plus the dumps. */
  volumeBytes?: number;
  volumeBasis?: 'declared' | 'listed';
  /** Bytes read by the exporting steps' last attempts, over the union of their intervals. */
  sampleBytes: number;
  sampleMs: number;
  throughputBytesPerSec?: number;
  /** volumeBytes ÷ throughput. */
  projectedMs?: number;
  /** `objectives.exitPeriod`. */
  periodMs?: number;
}

export interface ExitEgressRecord {
  bytes: number;
  pricePerGB?: number;
  currency?: string;
  /** bytes ÷ 10^9 × pricePerGB, rounded to cents. */
  estimatedCost?: number;
  maxCost?: number;
}

export interface ExitReadinessRecord {
  /** The scenario's `exit:` as normalised (defaults applied). */
  plan: ExitPlan;
  /** One row per checklist item, in the order of `exitChecks`. */
  checklist: ExitCheckRecord[];
  exports: ExitExportRecord[];
  dumps: ExitDumpRecord[];
  reimports: ExitReimportRecord[];
  formats: ExitFormatRecord[];
  /** Lines for the reader: formats that are not open, reconciliation gaps, objects without a content type … */
  findings: string[];
  projection: ExitProjectionRecord;
  egress?: ExitEgressRecord;
}
