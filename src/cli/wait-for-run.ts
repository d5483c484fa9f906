/** What a running drill did with a file someone put in its bundle (an answer, an approval), read from its journal. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DrillbookError } from '../errors.js';
import { lockFiles, readLock } from '../engine/run-lock.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { bundleLayout } from '../evidence/bundle-files.js';
import { eventsOfType, parseJournalEvents, type JournalEvent } from '../evidence/journal-events.js';
import { readJournal } from '../evidence/journal.js';

export function readBundleEvents(bundle: string): JournalEvent[] {
  const file = join(bundle, bundleLayout.journal);
  if (!existsSync(file)) throw new DrillbookError('USAGE', `${bundle} is not a bundle folder: it has no ${bundleLayout.journal}`, { hint: 'name the folder of the run that is waiting' });
  return parseJournalEvents(readJournal(file).entries).events;
}

/**
 * Refuses to write for a run that no drillbook is running (crashed, killed): nothing would take the file, and
 * recover or resume would only drop it. A run on another machine cannot be told apart: it is trusted.
 */
export function assertRunIsLive(bundle: string, events: readonly JournalEvent[]): void {
  const started = eventsOfType(events, 'run.started')[0];
  const storeDir = started?.data.inputs?.storeDir;
  if (!started || storeDir === undefined || eventsOfType(events, 'run.finished').length > 0) return;
  const lock = readLock(lockFiles(storeDir, started.data.scenarioId).store);
  if (lock.state === 'foreign' || (lock.state === 'held' && lock.info.runId === started.data.runId)) return;
  throw new DrillbookError('PRECONDITION', `run ${started.data.runId} is not running: no drillbook holds its lock, so nothing would take this; nothing was written`, {
    hint: `\`drillbook resume ${bundle}\` continues it (and asks again), \`drillbook recover ${bundle}\` closes it`,
  });
}

export type Taken = { status: 'taken' } | { status: 'refused'; reason: string } | { status: 'pending' };

/** Waits up to `waitMs` for the journal to take or refuse the file of digest `sha256`. */
export async function waitForRun(
  dir: string,
  sha256: string,
  types: { taken: 'manual.answered' | 'approval.granted'; refused: 'manual.rejected' | 'approval.rejected' },
  waitMs: number,
): Promise<Taken> {
  const until = Date.now() + waitMs;
  for (;;) {
    const events = readBundleEvents(dir);
    const same = (e: { data: { sha256: string } }): boolean => e.data.sha256 === sha256;
    if (eventsOfType(events, types.taken).some(same)) return { status: 'taken' };
    const refused = eventsOfType(events, types.refused).filter(same).at(-1);
    if (refused) return { status: 'refused', reason: refused.data.reason };
    if (Date.now() >= until) return { status: 'pending' };
    await sleep(200);
  }
}

/** The line that tells the person what the run did with their file. */
export function takenLine(taken: Taken, what: string): string {
  if (taken.status === 'taken') return `the run took the ${what}\n`;
  if (taken.status === 'refused') return `the run refused the ${what}: ${taken.reason}\n`;
  return `the run has not taken the ${what} yet (it reads it within a second while it runs)\n`;
}
