/**
 * `drillbook schedule [DIR…]`: the long-running scheduler (for a systemd service or a container).
 * Signals: the first stops scheduling and lets running drills finish normally, cleanup and evidence
 * included; the second interrupts them (cleanup runs, the record says ABORTED); the third abandons their
 * cleanup, leaving the runs for `drillbook recover`.
 */
import { hostname } from 'node:os';
import { builtinRunners } from '../../../runners/index.js';
import { systemClock } from '../../engine/clock.js';
import { createScheduler, type SchedulerEvent } from '../../register/scheduler.js';
import { DrillbookError } from '../../errors.js';
import { exitCodeForSignal, exitCodes } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { createLauncher, type LaunchFlags } from '../launch-flags.js';
import { notifyFlags, reportDeliveries, type NotifyFlags } from '../notify-flags.js';
import { historyOptions, openStore, parseDurationFlag, trustLine, type StoreFlags } from '../register-flags.js';
import { installSignalLadder, type SignalSource } from '../signal-ladder.js';

export interface ScheduleFlags extends StoreFlags, NotifyFlags, LaunchFlags {
  concurrency?: string;
  soon?: string;
  json?: boolean;
  /** Longest pause between passes (default 60s). */
  interval?: string;
}

function describe(event: SchedulerEvent): string | undefined {
  const time = new Date().toISOString();
  switch (event.type) {
    case 'pass': {
      // A pass with nothing due says nothing: a quiet scheduler should not fill the journal every minute.
      if (event.decisions.length === 0) return undefined;
      const parts = event.decisions.map((d) => `${d.scenarioId}: ${d.action} (${d.reason})`);
      return `${time} pass: ${parts.join('; ')}; next pass ${new Date(event.nextPassMs).toISOString()}`;
    }
    case 'missed':
      return `${time} missed ${event.missed.scenarioId}: ${event.missed.slots} slot${event.missed.slots === 1 ? '' : 's'} from ${event.missed.firstSlot} (${event.missed.reason})`;
    case 'started':
      return `${time} start ${event.scenarioId}: run ${event.runId} (${event.reason})`;
    case 'finished':
      return `${time} ${event.verdict} ${event.scenarioId}: run ${event.runId}${event.sealed ? '' : ` (evidence not sealed: ${event.message ?? ''})`}`;
    case 'start-failed':
      return `${time} not started ${event.scenarioId}: ${event.message}`;
    case 'pass-failed':
      return `${time} pass failed: ${event.message}`;
    case 'stopping':
      return `${time} stopping: ${event.running.length ? `waiting for ${event.running.join(', ')} to finish (signal again to interrupt)` : 'nothing running'}`;
    case 'stopped':
      return `${time} stopped`;
    case 'notified':
      return undefined;
  }
}

function parseConcurrency(value: string | undefined): number {
  const n = Number(value ?? '1');
  if (!/^\d+$/.test(value ?? '1') || n < 1) throw new DrillbookError('USAGE', `--concurrency must be a whole number ≥ 1, got ${JSON.stringify(value)}`);
  return n;
}

export async function scheduleCommand(dirs: string[], flags: ScheduleFlags, io: CliIo, signals: SignalSource): Promise<number> {
  const store = await openStore(flags);
  const history = historyOptions(flags, store);
  const soonMs = parseDurationFlag('soon', flags.soon);
  const maxSleepMs = parseDurationFlag('interval', flags.interval);
  const notifier = notifyFlags(flags);
  const launch = createLauncher(flags, store, io);
  io.stdout(`drillbook schedule · store ${store.location} · ${trustLine(history)} · pid ${process.pid}\n`);

  const scheduler = createScheduler({
    paths: dirs.length ? dirs : ['scenarios'],
    store,
    catalog: builtinRunners,
    history,
    clock: systemClock,
    launch,
    concurrency: parseConcurrency(flags.concurrency),
    allowProduction: flags.yes === true,
    ...(maxSleepMs !== undefined && { maxSleepMs }),
    ...(soonMs !== undefined && { soonMs }),
    ...(notifier && { notifier, overdueRepeatMs: Math.min(...notifier.webhooks.map((w) => w.repeatMs)) }),
    host: hostname(),
    pid: process.pid,
    onEvent: (event) => {
      if (event.type === 'notified') reportDeliveries(event.deliveries, event.what, io);
      if (flags.json) io.stdout(`${JSON.stringify({ at: new Date().toISOString(), ...event })}\n`);
      else {
        const line = describe(event);
        if (line) io.stdout(`${line}\n`);
      }
    },
  });

  let interrupted = false;
  const ladder = installSignalLadder(signals, [
    () => scheduler.stop(),
    (signal) => {
      interrupted = true;
      io.stderr(`drillbook: ${signal}: interrupting running drills (their cleanup runs; records will say ABORTED)\n`);
      scheduler.interrupt(signal);
    },
    () => {
      io.stderr('drillbook: abandoning cleanup; `drillbook recover` must finish those runs\n');
      scheduler.abandon();
    },
  ]);
  try {
    await scheduler.run();
  } finally {
    ladder.dispose();
  }
  // A clean stop (running drills finished normally) is success; interrupted drills are not.
  if (!interrupted) return exitCodes.ok;
  return exitCodeForSignal(ladder.first);
}
