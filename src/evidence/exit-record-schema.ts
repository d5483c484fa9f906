/** The exit-readiness section as a zod schema, part of the run record's (run-record-schema.ts). */
import { z } from 'zod';
import { exitChecks } from '../scenario/types.js';
import { exitCheckBases, exitCheckStatuses } from './exit-record.js';

const count = z.int().nonnegative();
const volume = z.object({ objects: count, bytes: count });
const stepStatus = z.enum(['passed', 'failed', 'cancelled', 'not-run']);
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex SHA-256');

const plan = z.object({
  openFormats: z.array(z.string()),
  dataVolumeBytes: count.exactOptional(),
  egressPricePerGB: z.number().nonnegative().exactOptional(),
  currency: z.string().exactOptional(),
  maxCost: z.number().nonnegative().exactOptional(),
  reimportSteps: z.array(z.string()),
  required: z.array(z.enum(exitChecks)),
});

export const exitReadinessSchema = z.object({
  plan,
  checklist: z.array(
    z.object({ check: z.enum(exitChecks), status: z.enum(exitCheckStatuses), basis: z.enum(exitCheckBases), required: z.boolean(), summary: z.string() }),
  ),
  exports: z.array(
    z.object({
      stepId: z.string(),
      status: stepStatus,
      source: z.string(),
      destination: z.string(),
      listed: volume,
      exported: volume,
      resumed: volume,
      transferred: z.object({ bytes: count, durationMs: z.number().nonnegative() }),
      throughputBytesPerSec: z.number().nonnegative().exactOptional(),
      reconciliation: z.object({ missing: count, extra: count, changed: count, corrupted: count, failed: count, vanished: count.exactOptional() }),
      // Optional: records sealed before they existed must still verify.
      deletionsAccepted: z.boolean().exactOptional(),
      destinationVerified: z.boolean(),
      manifest: z.object({ file: z.string(), sha256, entries: count }).exactOptional(),
    }),
  ),
  dumps: z.array(
    z.object({ stepId: z.string(), status: stepStatus, file: z.string(), host: z.string(), bytes: count, sha256: z.string(), format: z.string(), durationMs: z.number().nonnegative() }),
  ),
  reimports: z.array(
    z.object({
      stepId: z.string(),
      uses: z.string(),
      status: stepStatus,
      declared: z.boolean(),
      destination: z.string().exactOptional(),
      expected: volume.exactOptional(),
      verified: volume.exactOptional(),
      missing: count.exactOptional(),
      mismatched: count.exactOptional(),
    }),
  ),
  formats: z.array(z.object({ format: z.string(), objects: count, bytes: count, open: z.boolean().exactOptional(), examples: z.array(z.string()) })),
  findings: z.array(z.string()),
  projection: z.object({
    volumeBytes: count.exactOptional(),
    volumeBasis: z.enum(['declared', 'listed']).exactOptional(),
    sampleBytes: count,
    sampleMs: z.number().nonnegative(),
    throughputBytesPerSec: z.number().nonnegative().exactOptional(),
    projectedMs: z.number().nonnegative().exactOptional(),
    periodMs: z.number().nonnegative().exactOptional(),
  }),
  egress: z
    .object({
      bytes: count,
      pricePerGB: z.number().nonnegative().exactOptional(),
      currency: z.string().exactOptional(),
      estimatedCost: z.number().nonnegative().exactOptional(),
      maxCost: z.number().nonnegative().exactOptional(),
    })
    .exactOptional(),
});
