/**
 * The evidence store as the register reads it: scenarios, their bundles, files of a bundle, and missed
 * scheduled runs. A local folder implements it today (local-store.ts); an S3 bucket can implement the same
 * interface without the register changing.
 */
import type { MissedReason } from './slots.js';

/** One bundle: `<store>/<scenario-id>/<run-id>/`. */
export interface BundleRef {
  scenarioId: string;
  runId: string;
}

/** Scheduled runs that did not happen (consecutive slots with one reason), as recorded by `run-due`/`schedule`. */
export interface MissedRun {
  scenarioId: string;
  /** ISO times of the first and last missed slot. */
  firstSlot: string;
  lastSlot: string;
  slots: number;
  reason: MissedReason;
  schedule: string;
  timezone: string;
  /** When and by whom the gap was noticed. */
  recordedAt: string;
  recordedBy: { host: string; pid: number };
}

/** Read (and, for missed runs, append) access to an evidence store. */
export interface EvidenceStore {
  /** Where the store is, for messages: a path or a URL. */
  readonly location: string;
  /** Scenario ids that have a folder in the store. */
  listScenarioIds(): Promise<string[]>;
  /** Bundles of a scenario, oldest first (run ids sort by time). */
  listBundles(scenarioId: string): Promise<BundleRef[]>;
  /** One file of a bundle (`record.json`, `scenario.yaml` …); undefined when absent. */
  readFile(ref: BundleRef, name: string): Promise<Buffer | undefined>;
  /** Names of the files of a bundle (bundle-relative POSIX paths) with size and change time, for cache keys. */
  statFiles(ref: BundleRef): Promise<{ name: string; bytes: number; changedMs: number }[]>;
  /** A local folder holding the bundle's files, for offline verification (a remote store downloads it). */
  localBundleDir(ref: BundleRef): Promise<string>;
  /** The bundle's place for people and links: a path or URL. */
  bundleLocation(ref: BundleRef): string;
  /** True when a run of the scenario holds the store's run lock. */
  isLocked(scenarioId: string): Promise<boolean>;
  listMissed(scenarioId: string): Promise<MissedRun[]>;
  /** Record a missed gap once (keyed by scenario and first slot); false when it was already recorded. */
  recordMissed(missed: MissedRun): Promise<boolean>;
}
