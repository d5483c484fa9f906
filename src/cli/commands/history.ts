/** `drillbook history [SCENARIO]`: runs from the evidence store with verdict, RTO/RPO against targets, and the trend. */
import { DrillbookError } from '../../errors.js';
import { runJson } from '../../register/register-json.js';
import { readScenarioHistory } from '../../register/scenario-history.js';
import { suggestionHint } from '../../scenario/issues.js';
import { exitCodes } from '../exit-codes.js';
import { formatHistory } from '../format-history.js';
import type { CliIo } from '../io.js';
import { historyOptions, openStore, trustLine, type StoreFlags } from '../register-flags.js';

export interface HistoryFlags extends StoreFlags {
  json?: boolean;
  limit?: string;
}

function parseLimit(value: string | undefined): number {
  if (value === undefined) return 20;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new DrillbookError('USAGE', `--limit must be a whole number of runs, got ${JSON.stringify(value)}`);
  return n;
}

export async function historyCommand(scenario: string | undefined, flags: HistoryFlags, io: CliIo): Promise<number> {
  const store = await openStore(flags);
  // Reading history needs no decision on trust: without keys every run is shown as unverified.
  const options = historyOptions(flags, store, process.env, false);
  const limit = parseLimit(flags.limit);
  const known = await store.listScenarioIds();
  if (scenario !== undefined && !known.includes(scenario)) {
    const hint = suggestionHint(scenario, known, 'scenarios in the store');
    throw new DrillbookError('USAGE', `no runs of scenario ${JSON.stringify(scenario)} in ${store.location}`, hint === undefined ? {} : { hint });
  }
  const histories = [];
  for (const id of scenario === undefined ? known : [scenario]) histories.push(await readScenarioHistory(store, id, options));
  options.index?.save();

  if (flags.json) {
    const json = {
      store: store.location,
      trust: options.mode,
      scenarios: histories.map((h) => ({ id: h.id, title: h.title ?? null, owner: h.owner ?? null, kind: h.kind ?? null, runs: h.runs.slice(-limit).map(runJson), missed: h.missed, trends: h.trends })),
    };
    io.stdout(`${JSON.stringify(json, null, 2)}\n`);
    return exitCodes.ok;
  }
  const parts = [`drillbook history · store ${store.location} · ${trustLine(options)}`, ...histories.map((h) => formatHistory(h, limit))];
  if (histories.length === 0) parts.push(`no runs in ${store.location}\n`);
  io.stdout(`${parts.join('\n\n').replace(/\n\n\n/g, '\n\n')}`);
  return exitCodes.ok;
}
