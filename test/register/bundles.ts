/** Real sealed bundles in a store folder, made with the evidence code (the test/evidence fixtures), at any time. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import type { ObjectiveRecord, RunRecord, Verdict } from '../../src/evidence/run-record.js';
import type { Sealed } from '../../src/evidence/seal.js';
import { sampleRecord, sealedBundle, sha256, scenarioText } from '../evidence/fixtures.js';

const isoPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Every ISO time in a value moved by `deltaMs`. */
function shiftTimes<T>(value: T, deltaMs: number): T {
  if (typeof value === 'string' && isoPattern.test(value)) return new Date(Date.parse(value) + deltaMs).toISOString() as T;
  if (Array.isArray(value)) return value.map((v: unknown) => shiftTimes(v, deltaMs)) as T;
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shiftTimes(v, deltaMs)])) as T;
  return value;
}

export interface BundleSpec {
  startedAt: string;
  verdict?: Verdict;
  scenarioId?: string;
  /** Folder name; default: the run id derived from startedAt. */
  folder?: string;
  signingKey?: KeyObject;
  rto?: Partial<ObjectiveRecord>;
  rpo?: Partial<ObjectiveRecord>;
  /** SHA-256 the record gives for the scenario file (default: that of the fixtures' scenario text). */
  scenarioSha256?: string;
}

export function runIdAt(startedAt: string): string {
  return `${startedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-a1b2c3`;
}

/** Seal a bundle of `spec` under `<store>/<scenario>/<run-id>/` and return its folder and record. */
export async function storeBundle(store: string, spec: BundleSpec): Promise<{ dir: string; record: RunRecord; sealed: Sealed }> {
  const base = sampleRecord();
  const shifted = shiftTimes(base, Date.parse(spec.startedAt) - Date.parse(base.startedAt));
  const scenarioId = spec.scenarioId ?? base.scenario.id;
  const runId = runIdAt(spec.startedAt);
  const verdict = spec.verdict ?? 'PASS';
  const record: RunRecord = {
    ...shifted,
    runId,
    verdict,
    verdictReasons: verdict === 'PASS' ? shifted.verdictReasons : [`the drill ended ${verdict}`],
    scenario: { ...shifted.scenario, id: scenarioId, sha256: spec.scenarioSha256 ?? sha256(scenarioText) },
    objectives: {
      rto: { ...shifted.objectives.rto, ...spec.rto },
      rpo: { ...shifted.objectives.rpo, ...spec.rpo },
    },
  };
  const dir = join(store, scenarioId, spec.folder ?? runId);
  mkdirSync(dir, { recursive: true });
  const sealed = await sealedBundle(dir, spec.signingKey ? { signingKey: spec.signingKey } : {}, record);
  return { dir, record: sealed.statement.predicate, sealed };
}
