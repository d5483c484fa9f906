/**
 * The register: every scenario file under the given folders, its runs from the evidence store, and its
 * assessment now. Reads files and the store; the judgement itself is assess.ts.
 */
import { basename, relative } from 'node:path';
import type { RunnerCatalog } from '../runner-contract.js';
import { loadScenario, validateScenario, type ScenarioIssue } from '../scenario/validate.js';
import type { Scenario } from '../scenario/types.js';
import { assessScenario, type Assessment } from './assess.js';
import { readRuns, type HistoryOptions } from './read-history.js';
import type { RunEntry } from './run-entry.js';
import { findScenarioFiles } from './scan-scenarios.js';
import type { EvidenceStore, MissedRun } from './store.js';
import { targetChanges } from './target-changes.js';

export interface RegisterOptions {
  store: EvidenceStore;
  /** The runner catalog scenarios are validated with. */
  catalog: RunnerCatalog;
  history: HistoryOptions;
  nowMs: number;
  soonMs?: number;
}

export interface RegisterEntry {
  /** The scenario file as found (relative to the working folder when inside it). */
  file: string;
  /** The scenario id, or the file's name (`broken.yaml`) when the file is invalid. */
  id: string;
  /** Present when the file is valid. */
  scenario?: Scenario;
  /** Present when it is not (also for an id used by two files). */
  issues?: ScenarioIssue[];
  runs: RunEntry[];
  missed: MissedRun[];
  assessment?: Assessment;
}

export interface Register {
  entries: RegisterEntry[];
  /** Scenario ids with bundles in the store but no scenario file among those read. */
  orphans: string[];
  store: string;
  mode: HistoryOptions['mode'];
  nowMs: number;
}

function display(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.startsWith('..') ? file : rel;
}

/** Why the last pass does not cover the scenario's targets any more, read from the scenario the run used. */
async function targetStaleness(store: EvidenceStore, scenario: Scenario, lastPass: RunEntry, catalog: RunnerCatalog): Promise<string[]> {
  const text = (await store.readFile({ scenarioId: lastPass.scenarioId, runId: lastPass.runId }, 'scenario.yaml'))?.toString('utf8');
  if (text === undefined) return [];
  const then = validateScenario(text, 'scenario.yaml', { catalog });
  if (!then.ok) return ['the targets could not be compared: the scenario of the last pass no longer validates'];
  const changes = targetChanges(then.scenario.targets, scenario.targets);
  return changes.length ? [`targets changed since the last pass: ${changes.join(', ')}`] : [];
}

/** Read every scenario under `paths` and its history, and assess each now. */
export async function buildRegister(paths: readonly string[], options: RegisterOptions): Promise<Register> {
  const { store, catalog, nowMs } = options;
  const entries: RegisterEntry[] = [];
  for (const file of await findScenarioFiles(paths)) {
    const result = await loadScenario(display(file), { catalog });
    if (result.ok) entries.push({ file: display(file), id: result.scenario.id, scenario: result.scenario, runs: [], missed: [] });
    else entries.push({ file: display(file), id: basename(file), issues: result.issues, runs: [], missed: [] });
  }

  const byId = new Map<string, RegisterEntry[]>();
  for (const entry of entries) if (entry.scenario) byId.set(entry.id, [...(byId.get(entry.id) ?? []), entry]);
  for (const [id, same] of byId) {
    if (same.length < 2) continue;
    for (const entry of same) {
      const others = same.filter((e) => e !== entry).map((e) => e.file);
      entry.issues = [{ file: entry.file, line: 1, column: 1, severity: 'error', code: 'duplicate-id', message: `id "${id}" is also used by ${others.join(', ')}`, hint: 'each scenario needs its own id: it names its run lock and its evidence folder' }];
      delete entry.scenario;
    }
  }

  for (const entry of entries) {
    const scenario = entry.scenario;
    if (!scenario) continue;
    entry.runs = await readRuns(store, scenario.id, options.history);
    entry.missed = await store.listMissed(scenario.id);
    const assessment = assessScenario({
      scenario: { ...scenario, sha256: scenario.source.sha256 },
      runs: entry.runs,
      missed: entry.missed,
      mode: options.history.mode,
      nowMs,
      running: await store.isLocked(scenario.id),
      ...(options.soonMs !== undefined && { soonMs: options.soonMs }),
    });
    if (assessment.stale.length && assessment.lastPass) assessment.stale.push(...(await targetStaleness(store, scenario, assessment.lastPass, catalog)));
    entry.assessment = assessment;
  }

  const known = new Set(entries.map((e) => e.scenario?.id).filter(Boolean));
  const orphans: string[] = [];
  // Folders without a single bundle (keys kept next to the evidence, say) are not scenarios.
  for (const id of await store.listScenarioIds()) if (!known.has(id) && (await store.listBundles(id)).length > 0) orphans.push(id);
  options.history.index?.save();
  return { entries, orphans, store: store.location, mode: options.history.mode, nowMs };
}
