/**
 * The run journal: an append-only, hash-chained JSON Lines file. Each line carries the SHA-256 of the line
 * before it and is fsync'd before `append` returns, so a kill -9 never loses an acknowledged event and any
 * later edit, removal or reordering of lines breaks the chain.
 *
 * Torn lines: a crash in the middle of a write can leave the file ending in a partial line. The journal is
 * append-only, so that line is never removed: {@link reopenJournal} ends it with a newline and appends a
 * `journal.torn-line` entry whose `prev` is the SHA-256 of the torn bytes (the chain stays linear over every
 * line of the file) and whose data repeats that digest and the byte count. Readers treat a line followed by
 * such an entry as torn, not as an entry; a torn line without one is reported as a problem.
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { DrillbookError } from '../errors.js';
import { fsyncDirectory, writeAllSync } from './atomic-write.js';

/** One event of the journal, as stored on one line. */
export interface JournalEntry {
  /** 1-based, without gaps: the last entry's seq is the entry count. */
  seq: number;
  /** ISO 8601 UTC time of the event. */
  at: string;
  /** Hex SHA-256 of the previous line's bytes (without its newline); 64 zeros for the first line. */
  prev: string;
  type: string;
  data: Record<string, unknown>;
}

/**
 * When lines reach the disk. `every-line`: fsync before `append` returns. `barrier`: `append` writes at once
 * (the line survives a kill -9 of this process) and `sync()` fsyncs every line written since the last one;
 * the engine calls it before each side effect, so no step starts before its journal is durable.
 */
export type JournalDurability = 'every-line' | 'barrier';

/** An open journal. Appends are synchronous; durable when they return, or at the next `sync()` (barrier mode). */
export interface Journal {
  append(type: string, data: Record<string, unknown>, at?: string): JournalEntry;
  /** fsync the lines written since the last sync (a no-op when there are none). */
  sync(): void;
  /** Hex SHA-256 of the last line; 64 zeros while the journal is empty. */
  readonly head: string;
  /** Number of entries (torn lines are not entries). */
  readonly count: number;
  readonly file: string;
  close(): void;
}

/** What {@link readJournal} found. */
export interface JournalReadResult {
  entries: JournalEntry[];
  /** Hex SHA-256 of the last newline-terminated line; 64 zeros for an empty file. */
  head: string;
  count: number;
  /** Chain breaks, lines that are not entries, seq gaps, an unfinished last line. Empty when sound. */
  problems: string[];
  /** 1-based line numbers of torn lines that a `journal.torn-line` entry accounts for. */
  tornLines: number[];
}

/** `prev` of the first line. */
export const genesisHash = '0'.repeat(64);
/** Entry type that {@link reopenJournal} appends after a torn line. */
export const tornLineEntryType = 'journal.torn-line';

const newline = 0x0a;
const hexDigest = /^[0-9a-f]{64}$/;
const isoUtc = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;
const entryKeys = ['seq', 'at', 'prev', 'type', 'data'] as const;

/** Create a new journal; fails when `file` already exists. The folder must exist. */
export function createJournal(file: string, durability: JournalDurability = 'every-line'): Journal {
  const fd = openSync(file, 'wx', 0o644);
  fsyncDirectory(dirname(file));
  return openJournal(file, fd, genesisHash, 0, durability);
}

/**
 * Continue an existing journal (crash recovery) after verifying its chain. A torn last line is kept and
 * recorded with a `journal.torn-line` entry (see the module comment). Any other problem throws: appending to
 * a broken chain would hide the break.
 */
export function reopenJournal(file: string, durability: JournalDurability = 'every-line'): Journal {
  const scan = scanJournal(readFileSync(file));
  if (scan.result.problems.length > 0 && !(scan.result.problems.length === 1 && scan.tornTail)) {
    throw new DrillbookError('EVIDENCE', `journal ${file} is damaged; it cannot be continued`, {
      details: scan.result.problems.map((p) => `  ${p}`).join('\n'),
    });
  }
  const fd = openSync(file, 'a');
  const journal = openJournal(file, fd, scan.result.head, scan.result.count, durability);
  if (scan.tornTail) {
    const torn = scan.tornTail;
    writeAllSync(fd, Uint8Array.of(newline));
    const sha256 = sha256Hex(torn.bytes);
    journal.appendChained(tornLineEntryType, { line: torn.line, bytes: torn.bytes.length, sha256 }, sha256);
  }
  return journal;
}

/** Read and check a journal: every entry, the head, and every problem found (nothing is thrown for them). */
export function readJournal(file: string): JournalReadResult {
  return scanJournal(readFileSync(file)).result;
}

/** Check journal bytes already in memory (the verifier hashes and reads the same buffer). */
export function readJournalBytes(bytes: Uint8Array): JournalReadResult {
  return scanJournal(bytes).result;
}

interface OpenJournal extends Journal {
  /** Append with an explicit `prev`: only for the entry that follows a torn line. */
  appendChained(type: string, data: Record<string, unknown>, prev: string): JournalEntry;
}

function openJournal(file: string, fd: number, initialHead: string, initialCount: number, durability: JournalDurability): OpenJournal {
  let head = initialHead;
  let count = initialCount;
  let closed = false;
  let failure: unknown;
  let unsynced = false;

  const sync = (): void => {
    if (!unsynced || closed) return;
    fsyncSync(fd);
    unsynced = false;
  };

  const write = (type: string, data: Record<string, unknown>, at: string, prev: string): JournalEntry => {
    if (closed) throw new DrillbookError('INTERNAL', `journal ${file} is closed`);
    if (failure !== undefined) {
      throw new DrillbookError('EVIDENCE', `journal ${file} had a failed write; reopen it to continue`, { cause: failure });
    }
    if (!isoUtc.test(at)) throw new DrillbookError('INTERNAL', `journal time must be ISO 8601 UTC, got ${JSON.stringify(at)}`);
    const line = JSON.stringify({ seq: count + 1, at, prev, type, data });
    const bytes = Buffer.from(`${line}\n`, 'utf8');
    try {
      writeAllSync(fd, bytes);
      unsynced = true;
      if (durability === 'every-line') sync();
    } catch (error) {
      // The file may now end in a partial line: only reopenJournal may continue it.
      failure = error;
      throw error;
    }
    head = sha256Hex(bytes.subarray(0, bytes.length - 1));
    count += 1;
    return JSON.parse(line) as JournalEntry;
  };

  return {
    file,
    get head() {
      return head;
    },
    get count() {
      return count;
    },
    append(type, data, at = new Date().toISOString()) {
      if (type === '' || type.startsWith('journal.')) {
        throw new DrillbookError('INTERNAL', `journal entry type ${JSON.stringify(type)} is empty or reserved`);
      }
      if (typeof data !== 'object' || data === null || Array.isArray(data)) {
        throw new DrillbookError('INTERNAL', `journal entry data must be a plain object (type ${type})`);
      }
      return write(type, data, at, head);
    },
    appendChained(type, data, prev) {
      return write(type, data, new Date().toISOString(), prev);
    },
    sync,
    close() {
      if (closed) return;
      sync();
      closed = true;
      closeSync(fd);
    },
  };
}

interface Scan {
  result: JournalReadResult;
  /** The bytes after the last newline, when the file does not end with one. */
  tornTail?: { line: number; bytes: Uint8Array };
}

function scanJournal(bytes: Uint8Array): Scan {
  const lines = splitLines(bytes);
  const terminated = bytes.length === 0 || bytes[bytes.length - 1] === newline;
  const complete = terminated ? lines : lines.slice(0, -1);
  const entries: JournalEntry[] = [];
  const problems: string[] = [];
  const tornLines: number[] = [];
  const parsed = complete.map((line) => parseEntry(line));
  let prevHash = genesisHash;
  let expectedSeq = 1;

  for (const [index, line] of complete.entries()) {
    const lineNo = index + 1;
    const hash = sha256Hex(line);
    const entry = parsed[index];
    const next = parsed[index + 1];
    if (next?.entry?.type === tornLineEntryType && next.entry.prev === hash && next.entry.data.sha256 === hash) {
      tornLines.push(lineNo);
    } else if (!entry || entry.problem !== undefined || !entry.entry) {
      problems.push(`line ${lineNo}: not a journal entry (${entry?.problem ?? 'unreadable'})`);
    } else {
      const { seq, prev } = entry.entry;
      if (prev !== prevHash) {
        problems.push(lineNo === 1 ? `line 1: prev is not ${genesisHash.slice(0, 8)}… (64 zeros)` : `line ${lineNo}: prev does not match the SHA-256 of line ${lineNo - 1}`);
      }
      if (seq !== expectedSeq) problems.push(`line ${lineNo}: seq ${seq}, expected ${expectedSeq}`);
      expectedSeq = seq + 1;
      entries.push(entry.entry);
    }
    prevHash = hash;
  }

  const tail = terminated ? undefined : lines[lines.length - 1];
  if (tail) problems.push(`line ${lines.length}: unfinished last line (${tail.length} bytes without a newline): the writer stopped mid-line`);
  const result: JournalReadResult = { entries, head: prevHash, count: entries.length, problems, tornLines };
  return tail ? { result, tornTail: { line: lines.length, bytes: tail } } : { result };
}

function splitLines(bytes: Uint8Array): Uint8Array[] {
  const lines: Uint8Array[] = [];
  let start = 0;
  for (;;) {
    const end = bytes.indexOf(newline, start);
    if (end === -1) break;
    lines.push(bytes.subarray(start, end));
    start = end + 1;
  }
  if (start < bytes.length) lines.push(bytes.subarray(start));
  return lines;
}

function parseEntry(line: Uint8Array): { entry?: JournalEntry; problem?: string } {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(line.buffer, line.byteOffset, line.byteLength).toString('utf8'));
  } catch {
    return { problem: 'invalid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { problem: 'not a JSON object' };
  const record = value as Record<string, unknown>;
  const extra = Object.keys(record).filter((key) => !(entryKeys as readonly string[]).includes(key));
  if (extra.length > 0) return { problem: `unexpected key ${extra.join(', ')}` };
  const { seq, at, prev, type, data } = record;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) return { problem: 'seq is not a positive integer' };
  if (typeof at !== 'string' || !isoUtc.test(at)) return { problem: 'at is not an ISO 8601 UTC time' };
  if (typeof prev !== 'string' || !hexDigest.test(prev)) return { problem: 'prev is not a hex SHA-256' };
  if (typeof type !== 'string' || type === '') return { problem: 'type is missing' };
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return { problem: 'data is not an object' };
  return { entry: { seq, at, prev, type, data: data as Record<string, unknown> } };
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
