/** `drillbook dashboard --out DIR [DIR…]`: a static, self-contained HTML site of the register. */
import { builtinRunners } from '../../../runners/index.js';
import { writeDashboard } from '../../dashboard/write-dashboard.js';
import { buildRegister } from '../../register/build-register.js';
import { exitCodes } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { historyOptions, openStore, parseDurationFlag, trustLine, type StoreFlags } from '../register-flags.js';

export interface DashboardFlags extends StoreFlags {
  out: string;
  soon?: string;
}

export async function dashboardCommand(dirs: string[], flags: DashboardFlags, io: CliIo): Promise<number> {
  const store = await openStore(flags);
  const history = historyOptions(flags, store);
  const soonMs = parseDurationFlag('soon', flags.soon);
  const register = await buildRegister(dirs.length ? dirs : ['scenarios'], { store, catalog: builtinRunners, history, nowMs: Date.now(), ...(soonMs !== undefined && { soonMs }) });
  const model = await writeDashboard(flags.out, register, store, history, trustLine(history));
  const overdue = model.scenarios.filter((s) => s.status === 'overdue').length;
  io.stdout(`dashboard: ${flags.out}/index.html · ${model.scenarios.length} scenarios, ${overdue} overdue, ${model.reports.size} run reports\n`);
  if (history.mode === 'unverified') io.stderr('drillbook: --unverified: the dashboard says so on every page\n');
  return exitCodes.ok;
}
