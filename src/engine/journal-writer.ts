/**
 * The one way the engine writes its journal: typed events, secrets redacted from every value before it is
 * serialised, a barrier (fsync) before each side effect, and every event also kept in memory for the
 * projection and the progress output.
 */
import type { Logger } from 'pino';
import { appendEvent, type JournalEvent, type JournalEventData, type JournalEventType } from '../evidence/journal-events.js';
import type { Journal } from '../evidence/journal.js';
import type { Redactor } from '../redact.js';

export interface JournalWriter {
  /** Append an event stamped now; `barrier`: it and all before it are on disk when this returns. */
  write<T extends JournalEventType>(type: T, data: JournalEventData<T>, options?: { barrier?: boolean }): void;
  /** Every event of the run so far (those of the journal being continued included). */
  readonly events: readonly JournalEvent[];
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
  log?: Logger;
}

export function createJournalWriter(journal: Journal, options: JournalWriterOptions): JournalWriter {
  const events: JournalEvent[] = [...(options.prior ?? [])];
  return {
    write(type, data, { barrier = false } = {}) {
      const redacted = options.redactor.redactValue(data) as JournalEventData<typeof type>;
      const event = appendEvent(journal, type, redacted, options.nowIso());
      if (barrier) journal.sync();
      events.push(event);
      options.onEvent?.(event);
    },
    events,
    info: () => ({ file: 'journal.jsonl', entries: journal.count, headSha256: journal.head }),
    close: () => journal.close(),
  };
}
