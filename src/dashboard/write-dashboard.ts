/**
 * The dashboard as a folder: index.html, one page per scenario, each run's report.html copied from its
 * bundle (so the folder can be archived or served on its own), and dashboard.json with the same data.
 * Only a folder that is new, empty or an earlier dashboard is written into.
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DrillbookError } from '../errors.js';
import { writeFileAtomic } from '../evidence/atomic-write.js';
import type { Register } from '../register/build-register.js';
import type { HistoryOptions } from '../register/read-history.js';
import { entryStatus, registerJson, runJson } from '../register/register-json.js';
import { readScenarioHistory } from '../register/scenario-history.js';
import type { EvidenceStore } from '../register/store.js';
import { computeTrend } from '../register/trend.js';
import { runKey, type DashboardModel, type DashboardScenario } from './model.js';
import { renderIndex, scenarioPage } from './render-index.js';
import { renderScenarioPage } from './render-scenario.js';

/** Marks a folder as a dashboard (and holds its data for machines). */
export const dashboardDataFile = 'dashboard.json';

const safeSegment = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Every scenario of the register, plus the store's scenarios that have no file. */
export async function gatherScenarios(register: Register, store: EvidenceStore, history: HistoryOptions): Promise<DashboardScenario[]> {
  const scenarios: DashboardScenario[] = register.entries.map((entry) => {
    const s = entry.scenario;
    const described = [...entry.runs].reverse().find((run) => run.scenario)?.scenario;
    return {
      id: entry.id,
      title: s?.title ?? described?.title ?? entry.file,
      owner: s?.owner ?? described?.owner ?? '—',
      kind: s?.kind ?? described?.kind ?? '—',
      status: entryStatus(entry),
      file: entry.file,
      ...(s && { scenario: s }),
      ...(entry.assessment && { assessment: entry.assessment }),
      ...(entry.issues && { issues: entry.issues }),
      runs: entry.runs,
      missed: entry.missed,
      trends: { rto: computeTrend(entry.runs, 'rto', history.mode), rpo: computeTrend(entry.runs, 'rpo', history.mode) },
    };
  });
  for (const id of register.orphans) {
    const h = await readScenarioHistory(store, id, history);
    scenarios.push({ id, title: h.title ?? id, owner: h.owner ?? '—', kind: h.kind ?? '—', status: 'no-file', runs: h.runs, missed: h.missed, trends: h.trends });
  }
  return scenarios;
}

function prepare(outDir: string): void {
  if (existsSync(outDir)) {
    const entries = readdirSync(outDir);
    if (entries.length > 0 && !entries.includes(dashboardDataFile)) {
      throw new DrillbookError('USAGE', `${outDir} is not empty and is not a drillbook dashboard`, { hint: 'choose a new folder for --out' });
    }
    // An earlier dashboard: its pages and copied reports are replaced as a whole.
    for (const sub of ['scenarios', 'runs']) rmSync(join(outDir, sub), { recursive: true, force: true });
  }
  mkdirSync(join(outDir, 'scenarios'), { recursive: true });
}

/** Write the site; returns the model it rendered. */
export async function writeDashboard(outDir: string, register: Register, store: EvidenceStore, history: HistoryOptions, trust: string): Promise<DashboardModel> {
  const scenarios = await gatherScenarios(register, store, history);
  prepare(outDir);
  const reports = new Map<string, string>();
  for (const s of scenarios) {
    for (const run of s.runs) {
      // A report from a bundle that failed verification may say anything: it is not republished.
      if (!run.hasReport || run.verification === 'invalid' || run.verification === 'unfinished') continue;
      if (!safeSegment.test(run.scenarioId) || !safeSegment.test(run.runId)) continue;
      const bytes = await store.readFile({ scenarioId: run.scenarioId, runId: run.runId }, 'report.html');
      if (!bytes) continue;
      const path = `runs/${run.scenarioId}/${run.runId}/report.html`;
      mkdirSync(join(outDir, 'runs', run.scenarioId, run.runId), { recursive: true });
      writeFileAtomic(join(outDir, path), bytes);
      reports.set(runKey(run), path);
    }
  }
  const model: DashboardModel = { generatedAtMs: register.nowMs, store: register.store, mode: history.mode, trust, scenarios, reports };
  for (const s of scenarios) writeFileAtomic(join(outDir, scenarioPage(s.id)), renderScenarioPage(s, model));
  writeFileAtomic(join(outDir, 'index.html'), renderIndex(model));
  const data = {
    ...registerJson(register),
    history: scenarios.map((s) => ({ id: s.id, status: s.status, runs: s.runs.map(runJson), missed: s.missed, trends: s.trends, reports: s.runs.map((r) => reports.get(runKey(r)) ?? null) })),
  };
  writeFileAtomic(join(outDir, dashboardDataFile), `${JSON.stringify(data, null, 2)}\n`);
  return model;
}
