/** `drillbook due [DIR…]`: the register of scenarios, last run, last pass, next due date; exit 5 when overdue. */
import { builtinRunners } from '../../../runners/index.js';
import { buildRegister } from '../../register/build-register.js';
import { dueStatuses, type DueStatus } from '../../register/assess.js';
import { entryStatus, registerJson } from '../../register/register-json.js';
import { DrillbookError } from '../../errors.js';
import { exitCodes } from '../exit-codes.js';
import { formatRegister } from '../format-register.js';
import type { CliIo } from '../io.js';
import { notifyOverdue, notifyFlags, type NotifyFlags } from '../notify-flags.js';
import { historyOptions, openStore, parseDurationFlag, trustLine, type StoreFlags } from '../register-flags.js';

export interface DueFlags extends StoreFlags, NotifyFlags {
  json?: boolean;
  soon?: string;
  /** Statuses that make the command exit 5 (default: overdue). */
  failOn?: string;
  /** Evaluate at this time instead of now (ISO 8601): what will be due on a date. */
  at?: string;
}

/** `--fail-on overdue,never-run` → the statuses. */
export function parseFailOn(value: string | undefined): DueStatus[] {
  if (value === undefined) return ['overdue'];
  const statuses = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const status of statuses) {
    if (!(dueStatuses as readonly string[]).includes(status)) {
      throw new DrillbookError('USAGE', `--fail-on: unknown status ${JSON.stringify(status)}`, { hint: `statuses: ${dueStatuses.join(', ')}` });
    }
  }
  return statuses as DueStatus[];
}

/** `--at 2026-12-01T00:00:00Z` → milliseconds; default now. */
export function parseAt(value: string | undefined, now: number): number {
  if (value === undefined) return now;
  const ms = Date.parse(value);
  if (Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}/.test(value)) throw new DrillbookError('USAGE', `--at must be an ISO 8601 time, got ${JSON.stringify(value)}`);
  return ms;
}

export async function dueCommand(dirs: string[], flags: DueFlags, io: CliIo): Promise<number> {
  const store = await openStore(flags);
  const history = historyOptions(flags, store);
  const failOn = parseFailOn(flags.failOn);
  const soonMs = parseDurationFlag('soon', flags.soon);
  const notify = notifyFlags(flags);
  const register = await buildRegister(dirs.length ? dirs : ['scenarios'], {
    store,
    catalog: builtinRunners,
    history,
    nowMs: parseAt(flags.at, Date.now()),
    ...(soonMs !== undefined && { soonMs }),
  });
  if (flags.json) io.stdout(`${JSON.stringify(registerJson(register), null, 2)}\n`);
  else io.stdout(formatRegister(register, `drillbook register · store ${register.store} · ${new Date(register.nowMs).toISOString()} · ${trustLine(history)}`, io.isTTY));
  if (history.mode === 'unverified') io.stderr('drillbook: --unverified: signatures were not checked; passes shown are intact but not proven by a trusted key\n');
  if (notify) await notifyOverdue(register, notify, io);

  const failing = register.entries.filter((entry) => (failOn as string[]).includes(entryStatus(entry)));
  if (failing.length) return exitCodes.overdue;
  if (register.entries.some((entry) => entryStatus(entry) === 'invalid')) return exitCodes.invalidInput;
  return exitCodes.ok;
}
