/**
 * `drillbook run-due [DIR…]`: one pass for cron, systemd timers and Kubernetes CronJobs. Records missed
 * slots, then runs, one after the other, every scenario that is due now and inside its window.
 * Signals: the first lets the running drill finish and starts nothing more; the second interrupts it
 * (cleanup runs, the record says ABORTED); the third abandons its cleanup (left for `drillbook recover`).
 */
import { hostname } from 'node:os';
import { builtinRunners } from '../../../runners/index.js';
import type { RunningDrill, RunResult } from '../../engine/run.js';
import { isDrillbookError } from '../../errors.js';
import { runFinishedEvent } from '../../notify/from-run.js';
import { buildRegister } from '../../register/build-register.js';
import { planRuns } from '../../register/plan-runs.js';
import { recordMissedRuns } from '../../register/record-missed.js';
import { formatDuration } from '../../scenario/duration.js';
import { exitCodeForSignal, exitCodes } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { createLauncher, type LaunchFlags } from '../launch-flags.js';
import { notifyFlags, reportDeliveries, type NotifyFlags } from '../notify-flags.js';
import { historyOptions, openStore, parseDurationFlag, trustLine, type StoreFlags } from '../register-flags.js';
import { installSignalLadder, type SignalSource } from '../signal-ladder.js';

export interface RunDueFlags extends StoreFlags, NotifyFlags, LaunchFlags {
  dryRun?: boolean;
  soon?: string;
  json?: boolean;
}

function missedText(first: string, last: string, slots: number, reason: string): string {
  return `${slots === 1 ? first : `${first} … ${last} (${slots} slots)`}: ${reason === 'window-closed' ? 'the window was closed' : 'nothing started it'}`;
}

export async function runDueCommand(dirs: string[], flags: RunDueFlags, io: CliIo, signals: SignalSource): Promise<number> {
  const store = await openStore(flags);
  const history = historyOptions(flags, store);
  const soonMs = parseDurationFlag('soon', flags.soon);
  const notifier = notifyFlags(flags);
  const say = (line: string, event: Record<string, unknown>) => (flags.json ? io.stdout(`${JSON.stringify(event)}\n`) : io.stdout(`${line}\n`));
  const nowMs = Date.now();
  const register = await buildRegister(dirs.length ? dirs : ['scenarios'], { store, catalog: builtinRunners, history, nowMs, ...(soonMs !== undefined && { soonMs }) });
  if (!flags.json) io.stdout(`drillbook run-due · store ${register.store} · ${new Date(nowMs).toISOString()} · ${trustLine(history)}\n`);

  if (!flags.dryRun) {
    for (const m of await recordMissedRuns(register, store, { host: hostname(), pid: process.pid, nowMs })) {
      say(`missed  ${m.scenarioId}: ${missedText(m.firstSlot, m.lastSlot, m.slots, m.reason)}`, { type: 'missed', ...m });
    }
  }
  const decisions = planRuns(register, { nowMs, allowProduction: flags.yes === true });
  for (const d of decisions) say(`${d.action.padEnd(5)} ${d.entry.id}: ${d.reason}`, { type: 'decision', scenario: d.entry.id, action: d.action, reason: d.reason, due: d.dueMs === undefined ? null : new Date(d.dueMs).toISOString() });
  const toRun = decisions.filter((d) => d.action === 'run');
  if (toRun.length === 0) say('nothing to start', { type: 'idle' });
  if (flags.dryRun || toRun.length === 0) return register.entries.some((e) => !e.scenario) ? exitCodes.invalidInput : exitCodes.ok;

  const launch = createLauncher(flags, store, io);
  let current: RunningDrill | undefined;
  const ladder = installSignalLadder(signals, [
    (signal) => io.stderr(`drillbook: ${signal}: letting the running drill finish; nothing new starts. Signal again to interrupt it.\n`),
    (signal) => {
      io.stderr(`drillbook: ${signal}: interrupting the running drill (its cleanup runs; the record will say ABORTED)\n`);
      current?.interrupt(signal);
    },
    () => {
      io.stderr('drillbook: abandoning the cleanup; `drillbook recover` must finish the run\n');
      current?.abandon();
    },
  ]);

  let code: number = exitCodes.ok;
  const worse = (next: number) => {
    // Which outcome wins when several runs end differently: sealing failures and locks matter most.
    const rank = [
      exitCodes.ok,
      exitCodes.notPassed,
      exitCodes.preconditionFailed,
      exitCodes.interruptedSighup,
      exitCodes.interruptedSigquit,
      exitCodes.interruptedSigint,
      exitCodes.interruptedSigterm,
      exitCodes.evidenceNotSealed,
      exitCodes.evidenceNotWritten,
    ];
    if (rank.indexOf(next as (typeof rank)[number]) > rank.indexOf(code as (typeof rank)[number])) code = next;
  };
  try {
    for (const decision of toRun) {
      const scenario = decision.entry.scenario;
      if (!scenario) continue;
      if (ladder.count > 0) {
        say(`not started ${scenario.id}: stopping`, { type: 'not-started', scenario: scenario.id, reason: 'stopping' });
        continue;
      }
      let result: RunResult;
      try {
        current = await launch(scenario);
      } catch (error) {
        if (!isDrillbookError(error)) throw error;
        say(`not started ${scenario.id}: ${error.shortMessage}`, { type: 'not-started', scenario: scenario.id, reason: error.shortMessage, code: error.code });
        if (error.code === 'UNFINISHED_RUN') worse(exitCodes.preconditionFailed);
        continue;
      }
      say(`start ${scenario.id}: run ${current.runId} → ${store.bundleLocation({ scenarioId: scenario.id, runId: current.runId })}`, { type: 'started', scenario: scenario.id, runId: current.runId });
      try {
        result = await current.done;
      } catch (error) {
        // The run ended and was sealed locally, but its evidence did not reach the store.
        if (!isDrillbookError(error)) throw error;
        say(`ERROR ${scenario.id}: ${error.shortMessage}`, { type: 'error', scenario: scenario.id, reason: error.shortMessage, code: error.code });
        if (error.hint) io.stderr(`  hint: ${error.hint}\n`);
        worse(exitCodes.evidenceNotSealed);
        continue;
      } finally {
        current = undefined;
      }
      const r = result.record;
      const bundle = store.bundleLocation({ scenarioId: scenario.id, runId: r.runId });
      say(`${r.verdict.padEnd(5)} ${scenario.id}: run ${r.runId} in ${formatDuration(r.durationMs)}${result.seal.sealed ? '' : ` (evidence not sealed: ${result.seal.message})`}`, {
        type: 'finished',
        scenario: scenario.id,
        runId: r.runId,
        verdict: r.verdict,
        sealed: result.seal.sealed,
        bundle,
      });
      if (!result.seal.sealed) worse(exitCodes.evidenceNotSealed);
      else if (r.endReason === 'signal') worse(exitCodeForSignal(r.signal));
      else if (r.endReason === 'precondition-failed') worse(exitCodes.preconditionFailed);
      else if (r.verdict !== 'PASS') worse(exitCodes.notPassed);
      if (notifier) reportDeliveries(await notifier.notify(runFinishedEvent(r, bundle, result.seal.sealed && result.seal.keyid !== undefined)), `${scenario.id} ${r.verdict}`, io);
    }
  } finally {
    ladder.dispose();
  }
  if (ladder.count > 0 && code === exitCodes.ok) return exitCodeForSignal(ladder.first);
  return code;
}
