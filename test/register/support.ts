/** Runs and scenarios for the register's tests, built by hand: no store, no engine. */
import type { RunEntry } from '../../src/register/run-entry.js';

export const day = 86_400_000;
export const hour = 3_600_000;
export const at = (iso: string): number => Date.parse(iso);
export const iso = (ms: number): string => new Date(ms).toISOString();

/** A verified PASS started at `startedAt`, unless `fields` say otherwise. */
export function run(startedAt: string, fields: Partial<RunEntry> = {}): RunEntry {
  const runId = `${startedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-abcdef`;
  return {
    scenarioId: 'pg-failover',
    runId,
    bundle: `reports/pg-failover/${runId}`,
    verification: 'verified',
    signers: ['k'.repeat(64)],
    startedAt,
    verdict: 'PASS',
    scenarioSha256: 'a'.repeat(64),
    hasReport: true,
    ...fields,
  };
}
