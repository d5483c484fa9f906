/**
 * One run as the register sees it: what its signed record says, and whether the record could be trusted.
 * Only a verified PASS proves anything; everything else is shown, never counted.
 */
import type { EndReason, ObjectiveRecord, Verdict } from '../evidence/run-record.js';

/**
 * - `verified`: every check passed and enough trusted keys signed.
 * - `untrusted`: the bundle is intact but not signed by enough trusted keys (unsigned, or another key).
 * - `unverified`: intact; signatures were not checked (no trusted keys were given: `--unverified`).
 * - `invalid`: a check failed: a file was changed, removed or added, the journal is broken, …
 * - `unfinished`: no record yet: the run is in progress, or it crashed and awaits `drillbook recover`.
 */
export const verificationStates = ['verified', 'untrusted', 'unverified', 'invalid', 'unfinished'] as const;
export type VerificationState = (typeof verificationStates)[number];

export interface RunEntry {
  scenarioId: string;
  runId: string;
  /** Where the bundle is, as the store names it (for people and links). */
  bundle: string;
  verification: VerificationState;
  /** The first failed check, for `invalid` and `untrusted`. */
  problem?: string;
  /** Key ids of trusted signers. */
  signers: string[];
  /** ISO time the run started: from the record, else from the run id. */
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  verdict?: Verdict;
  endReason?: EndReason;
  operator?: string;
  /** SHA-256 of the scenario file the run used, as its record says. */
  scenarioSha256?: string;
  /** Hex SHA-256 of record.json. */
  recordSha256?: string;
  objectives?: { rto: ObjectiveRecord; rpo: ObjectiveRecord };
  /** Title, owner and kind as the record gives them (for scenarios whose file is gone). */
  scenario?: { title: string; owner: string; kind: string };
  /** The bundle has a report.html. */
  hasReport: boolean;
}

/** How strictly runs count: only verified ones, or (no trusted keys, by choice) intact ones too. */
export type TrustMode = 'verified' | 'unverified';

/** True when this run proves a pass: a PASS verdict in a record that is verified (or intact, in `unverified` mode). */
export function countsAsPass(run: RunEntry, mode: TrustMode): boolean {
  if (run.verdict !== 'PASS') return false;
  return run.verification === 'verified' || (mode === 'unverified' && run.verification === 'unverified');
}

/** Milliseconds of a run's start. */
export function startedMs(run: RunEntry): number {
  return Date.parse(run.startedAt);
}

/** `20261128T132530Z-3f9a1c` → its time; undefined for other names. */
export function runIdTime(runId: string): number | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z(?:-|$)/.exec(runId);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number) as [number, number, number, number, number, number, number];
  const at = Date.UTC(y, mo - 1, d, h, mi, s);
  return Number.isNaN(at) ? undefined : at;
}
