/**
 * Answers and approvals written into a bundle while no drillbook ran it (after a crash, before recover or
 * resume): the run never took them, so they are not its evidence. Each is journalled as rejected with its
 * digest and removed, as a running drill does with a file that does not fit; the next question is asked anew.
 */
import { readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { bundleLayout } from '../evidence/bundle-files.js';
import { eventsOfType } from '../evidence/journal-events.js';
import { foreignFolder } from '../evidence/own-folder.js';
import { readRegularFile } from '../evidence/read-regular-file.js';
import { createHash } from 'node:crypto';
import { slugPattern } from '../scenario/schema.js';
import type { JournalWriter } from './journal-writer.js';

const reason = 'written while the run was stopped: the run never took it';

function names(bundleDir: string, folder: string): string[] {
  if (foreignFolder(bundleDir, folder)) return [];
  try {
    return readdirSync(join(bundleDir, folder)).sort();
  } catch {
    return [];
  }
}

export function dropUntakenFiles(bundleDir: string, journal: JournalWriter, t: () => number): void {
  const events = journal.events;
  const taken = new Set([...eventsOfType(events, 'manual.answered').map((e) => e.data.file), ...eventsOfType(events, 'approval.granted').map((e) => e.data.file)]);
  const drop = (file: string, written: (sha256: string) => void): void => {
    const bytes = readRegularFile(join(bundleDir, file), 64 * 1024) ?? Buffer.alloc(0);
    try {
      unlinkSync(join(bundleDir, file));
    } catch {
      return;
    }
    written(createHash('sha256').update(bytes).digest('hex'));
  };
  for (const step of names(bundleDir, bundleLayout.answers)) {
    for (const name of names(bundleDir, `${bundleLayout.answers}/${step}`)) {
      const attempt = /^(\d+)\.answer\.json$/.exec(name)?.[1];
      const file = `${bundleLayout.answers}/${step}/${name}`;
      if (attempt === undefined || taken.has(file)) continue;
      drop(file, (sha256) => journal.write('manual.rejected', { stepId: step, attempt: Number(attempt), t: t(), file, sha256, reason }, { barrier: true }));
    }
  }
  const approvals = (folder: string, gate: { stepId: string; attempt: number } | Record<string, never>): void => {
    for (const name of names(bundleDir, folder)) {
      const file = `${folder}/${name}`;
      // A step gate's folder is not a file: its unlink fails and it is left.
      if (name === 'request.json' || name.startsWith('.') || taken.has(file)) continue;
      drop(file, (sha256) => journal.write('approval.rejected', { t: t(), ...gate, file, sha256, reason }, { barrier: true }));
    }
  };
  approvals(bundleLayout.approvals, {});
  // Step gates: approvals/<step>/<attempt>/.
  for (const step of names(bundleDir, bundleLayout.approvals)) {
    if (!slugPattern.test(step)) continue;
    for (const attempt of names(bundleDir, `${bundleLayout.approvals}/${step}`)) {
      if (/^\d+$/.test(attempt)) approvals(`${bundleLayout.approvals}/${step}/${attempt}`, { stepId: step, attempt: Number(attempt) });
    }
  }
}
