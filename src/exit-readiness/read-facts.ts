/**
 * Reading `details.exit` back from a record. Details are untrusted JSON (a plugin runner, an edited
 * journal being recovered): what does not have the shape of src/exit-readiness/facts.ts is ignored, never trusted.
 */
import { z } from 'zod';
import type { DumpFacts, ExitFacts, ExportFacts, KeyList, ReimportFacts, Volume } from './facts.js';

const count = z.int().nonnegative();
const text = z.string();
const volume: z.ZodType<Volume> = z.object({ objects: count, bytes: count });
const keyList: z.ZodType<KeyList> = z.object({ count, keys: z.array(text) });
const sha256 = z.string().regex(/^[0-9a-f]{64}$/);

const exportFacts: z.ZodType<ExportFacts> = z.object({
  kind: z.literal('export'),
  source: text,
  destination: text,
  versions: z.boolean(),
  listed: volume,
  exported: volume,
  resumed: volume,
  transferred: z.object({ bytes: count, durationMs: z.number().nonnegative() }),
  reconciliation: z.object({ listedAtEnd: volume, missing: keyList, extra: keyList, changed: keyList, corrupted: keyList, failed: keyList, vanished: keyList }),
  deletionsAccepted: z.boolean().exactOptional(),
  destinationVerified: z.boolean(),
  formats: z.record(text, z.object({ objects: count, bytes: count, examples: z.array(text) })),
  metadata: z.object({ fields: z.array(text), withoutContentType: count }),
  manifest: z.object({ attachment: text, entries: count, sha256: text }),
});

const dumpFacts: z.ZodType<DumpFacts> = z.object({
  kind: z.literal('dump'),
  file: text,
  host: text,
  bytes: count,
  // A dump without a digest is not one drillbook can vouch for; such facts are ignored.
  sha256,
  format: text,
  durationMs: z.number().nonnegative(),
});

const reimportFacts: z.ZodType<ReimportFacts> = z.object({
  kind: z.literal('reimport'),
  destination: text,
  expected: volume,
  imported: volume,
  verified: volume,
  missing: keyList,
  mismatched: keyList,
  durationMs: z.number().nonnegative(),
});

const exitFacts = z.union([exportFacts, dumpFacts, reimportFacts]);

/** The exit facts of an attempt's details, or undefined when there are none of a known shape. */
export function readExitFacts(details: Readonly<Record<string, unknown>> | undefined): ExitFacts | undefined {
  const parsed = exitFacts.safeParse(details?.['exit']);
  return parsed.success ? parsed.data : undefined;
}
