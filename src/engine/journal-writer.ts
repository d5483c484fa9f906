/**
 * The one way the engine writes its journal: typed events, secrets redacted from every value before it is
 * serialised, a barrier (fsync) before each side effect, and every event also kept in memory for the
 * projection and the progress output.
 *
 * A write the storage refuses (full disk, I/O error) never throws here: the event is kept in memory, the
 * failure reported once, and the write retried at the next barrier (the journal is reopened, so a torn last
 * line is recorded as such). What still cannot be written at the end can be spilled to a file elsewhere,
 * which `recover` appends before it continues the run.
 */
import { writeFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { appendEvent, type JournalEvent, type JournalEventData, type JournalEventType } from '../evidence/journal-events.js';
import { reopenJournal, type Journal } from '../evidence/journal.js';
import type { Redactor } from '../redact.js';
import { journalLineWritten } from './fault-injection.js';
import { isStorageError, type WriteFailureGuard } from './write-failure.js';

export interface JournalWriter {
  /** Append an event stamped now; `barrier`: it and all before it are on disk when this returns (if the disk allows). */
  write<T extends JournalEventType>(type: T, data: JournalEventData<T>, options?: { barrier?: boolean }): void;
  /** Every event of the run so far (those of the journal being continued included). */
  readonly events: readonly JournalEvent[];
  /** Events the storage has not taken yet. */
  readonly pending: number;
  /** Try again to write what is pending (and fsync); true when nothing is pending. */
  flush(): boolean;
  /** Write the pending events as JSON lines to `file` (outside the bundle); true when done. */
  spill(file: string): boolean;
  /** Entry count and head hash of the journal as written. */
  info(): { file: string; entries: number; headSha256: string };
  close(): void;
}

export interface JournalWriterOptions {
  redactor: Redactor;
  /** ISO time of now (the run's timeline). */
  nowIso(): string;
  /** Events already in the journal (a crashed run being continued). */
  prior?: readonly JournalEvent[];
  onEvent?: (event: JournalEvent) => void;
  /** Where storage failures are reported; without one they are thrown. */
  guard?: WriteFailureGuard;
  /** Called after each event: a new clock skew to journal as `clock.jumped`, or undefined. */
  clockWatch?: { check(): number | undefined; t(): number; wallIso(): string };
  log?: Logger;
  /** After each barrier is on disk: the entry count and the last line's SHA-256 (noted in the run's ticket). */
  onDurable?: (entries: number, headSha256: string) => void;
}

export function createJournalWriter(initial: Journal, options: JournalWriterOptions): JournalWriter {
  const events: JournalEvent[] = [...(options.prior ?? [])];
  const pending: JournalEvent[] = [];
  let journal = initial;
  let broken = false;

  const failed = (error: unknown, where: string): void => {
    if (!options.guard || !isStorageError(error)) throw error;
    broken = true;
    options.guard.report(error, where);
    options.log?.error({ err: error }, `journal write failed: ${where}`);
  };

  const flush = (sync: boolean): boolean => {
    if (broken) {
      try {
        journal = reopenJournal(journal.file, 'barrier');
        broken = false;
      } catch (error) {
        failed(error, `reopening ${journal.file}`);
        return false;
      }
    }
    while (pending.length > 0) {
      const event = pending[0] as JournalEvent;
      try {
        journal.append(event.type, event.data, event.at);
      } catch (error) {
        failed(error, `writing ${journal.file}`);
        return false;
      }
      pending.shift();
    }
    if (sync) {
      try {
        journal.sync();
      } catch (error) {
        failed(error, `fsync of ${journal.file}`);
        return false;
      }
      options.onDurable?.(journal.count, journal.head);
    }
    return true;
  };

  function writeEvent<T extends JournalEventType>(type: T, data: JournalEventData<T>, barrier: boolean): void {
    const redacted = options.redactor.redactJson(data) as JournalEventData<T>;
    const at = options.nowIso();
    if (pending.length === 0 && !broken) {
      let event: JournalEvent | undefined;
      try {
        event = appendEvent(journal, type, redacted, at);
      } catch (error) {
        failed(error, `writing ${journal.file}`);
      }
      if (event) {
        journalLineWritten(journal.count);
        events.push(event);
        options.onEvent?.(event);
        if (barrier) flush(true);
        return;
      }
    }
    // What readers will see once it is written: the same JSON round trip the journal makes.
    const event = { at, type, data: JSON.parse(JSON.stringify(redacted)) as unknown } as JournalEvent;
    pending.push(event);
    events.push(event);
    options.onEvent?.(event);
    if (barrier) flush(true);
  }

  return {
    write(type, data, { barrier = false } = {}) {
      writeEvent(type, data, barrier);
      const watch = options.clockWatch;
      const skewMs = type === 'clock.jumped' ? undefined : watch?.check();
      if (skewMs !== undefined && watch) writeEvent('clock.jumped', { t: watch.t(), skewMs, wallAt: watch.wallIso() }, false);
    },
    events,
    get pending() {
      return pending.length;
    },
    flush: () => flush(true),
    spill(file) {
      try {
        writeFileSync(file, pending.map((e) => `${JSON.stringify(e)}\n`).join(''), { mode: 0o600, flag: 'w' });
        return true;
      } catch (error) {
        options.log?.error({ err: error, file }, 'pending journal events could not be saved');
        return false;
      }
    },
    info: () => ({ file: 'journal.jsonl', entries: journal.count, headSha256: journal.head }),
    close() {
      try {
        journal.close();
      } catch (error) {
        failed(error, `closing ${journal.file}`);
      }
    },
  };
}
