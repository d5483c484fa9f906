import { createHash } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isDrillbookError } from '../../src/errors.js';
import { createJournal, genesisHash, readJournal, reopenJournal } from '../../src/evidence/journal.js';

const at = '2026-11-28T10:00:00.000Z';
let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'drillbook-journal-'));
  file = join(dir, 'journal.jsonl');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const lines = () => readFileSync(file, 'utf8').split('\n').slice(0, -1);

function writeThree(): void {
  const journal = createJournal(file);
  journal.append('run.started', { runId: 'r1' }, at);
  journal.append('step.started', { stepId: 'a' }, at);
  journal.append('step.finished', { stepId: 'a', status: 'passed' }, at);
  journal.close();
}

describe('createJournal / append', () => {
  it('chains each line to the SHA-256 of the previous line and reports head and count', () => {
    const journal = createJournal(file);
    expect(journal.head).toBe(genesisHash);
    const first = journal.append('run.started', { runId: 'r1' }, at);
    const second = journal.append('mark', { mark: 't0', note: 'line\nbreak' }, at);
    journal.close();
    const [l1, l2] = lines();
    expect(first).toEqual({ seq: 1, at, prev: genesisHash, type: 'run.started', data: { runId: 'r1' } });
    expect(l1).toBe(`{"seq":1,"at":"${at}","prev":"${genesisHash}","type":"run.started","data":{"runId":"r1"}}`);
    expect(second.prev).toBe(sha256(l1!));
    expect(journal.head).toBe(sha256(l2!));
    expect(journal.count).toBe(2);
    expect(readJournal(file)).toEqual({ entries: [first, second], head: journal.head, count: 2, problems: [], tornLines: [] });
  });

  it('refuses to overwrite an existing journal', () => {
    writeThree();
    expect(() => createJournal(file)).toThrow(/EEXIST/);
  });

  it('refuses reserved or empty types, non-object data, non-UTC times and appends after close', () => {
    const journal = createJournal(file);
    expect(() => journal.append('journal.torn-line', {})).toThrow(/reserved/);
    expect(() => journal.append('', {})).toThrow(/empty or reserved/);
    expect(() => journal.append('x', [] as unknown as Record<string, unknown>)).toThrow(/plain object/);
    expect(() => journal.append('x', {}, '2026-11-28 10:00')).toThrow(/ISO 8601 UTC/);
    journal.close();
    expect(() => journal.append('x', {})).toThrow(/closed/);
    expect(readFileSync(file, 'utf8')).toBe('');
  });

  it('stamps the current UTC time when none is given', () => {
    const journal = createJournal(file);
    const entry = journal.append('run.started', {});
    journal.close();
    expect(entry.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});

describe('readJournal', () => {
  it('reports a changed line as a chain break at the next line', () => {
    writeThree();
    const text = readFileSync(file, 'utf8').replace('"stepId":"a"}', '"stepId":"b"}');
    writeFileSync(file, text);
    expect(readJournal(file).problems).toEqual(['line 3: prev does not match the SHA-256 of line 2']);
  });

  it('reports reordered lines', () => {
    writeThree();
    const [a, b, c] = lines();
    writeFileSync(file, `${a}\n${c}\n${b}\n`);
    expect(readJournal(file).problems).toEqual([
      'line 2: prev does not match the SHA-256 of line 1',
      'line 2: seq 3, expected 2',
      'line 3: prev does not match the SHA-256 of line 2',
      'line 3: seq 2, expected 4',
    ]);
  });

  it('reports a dropped first line and a dropped middle line', () => {
    writeThree();
    const [a, b, c] = lines();
    writeFileSync(file, `${b}\n${c}\n`);
    expect(readJournal(file).problems).toEqual(['line 1: prev is not 00000000… (64 zeros)', 'line 1: seq 2, expected 1']);
    writeFileSync(file, `${a}\n${c}\n`);
    expect(readJournal(file).problems).toEqual(['line 2: prev does not match the SHA-256 of line 1', 'line 2: seq 3, expected 2']);
  });

  it('reports lines that are not entries', () => {
    writeThree();
    appendFileSync(file, '{"seq":4}\nnot json\n');
    expect(readJournal(file).problems).toEqual([
      'line 4: not a journal entry (at is not an ISO 8601 UTC time)',
      'line 5: not a journal entry (invalid JSON)',
    ]);
  });

  it('reports an unfinished last line and keeps the head at the last complete line', () => {
    writeThree();
    const head = readJournal(file).head;
    appendFileSync(file, '{"seq":4,"at":"2026');
    const result = readJournal(file);
    expect(result.problems).toEqual(['line 4: unfinished last line (19 bytes without a newline): the writer stopped mid-line']);
    expect(result.head).toBe(head);
    expect(result.count).toBe(3);
  });

  it('reads an empty journal as sound', () => {
    createJournal(file).close();
    expect(readJournal(file)).toEqual({ entries: [], head: genesisHash, count: 0, problems: [], tornLines: [] });
  });
});

describe('reopenJournal', () => {
  it('continues the chain after the last entry', () => {
    writeThree();
    const journal = reopenJournal(file);
    expect(journal.count).toBe(3);
    const entry = journal.append('run.finished', { verdict: 'ABORTED', endReason: 'crashed' }, at);
    journal.close();
    expect(entry.seq).toBe(4);
    expect(readJournal(file)).toMatchObject({ count: 4, problems: [], head: journal.head });
  });

  it('keeps a torn last line, ends it, and records it with a journal.torn-line entry chained to its bytes', () => {
    writeThree();
    const torn = '{"seq":4,"at":"2026-11-28T10:00:00.000Z","prev":"ab';
    appendFileSync(file, torn);
    const journal = reopenJournal(file);
    journal.append('run.finished', { verdict: 'ABORTED', endReason: 'crashed' }, at);
    journal.close();
    const all = lines();
    expect(all).toHaveLength(6);
    expect(all[3]).toBe(torn);
    const marker = JSON.parse(all[4]!) as Record<string, unknown>;
    expect(marker).toMatchObject({ seq: 4, prev: sha256(torn), type: 'journal.torn-line', data: { line: 4, bytes: torn.length, sha256: sha256(torn) } });
    const result = readJournal(file);
    expect(result.problems).toEqual([]);
    expect(result.tornLines).toEqual([4]);
    expect(result.entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(result.count).toBe(5);
    expect(result.head).toBe(sha256(all[5]!));
  });

  it('treats even a complete-looking torn line (only the newline missing) as torn', () => {
    writeThree();
    const prev = readJournal(file).head;
    const unacknowledged = JSON.stringify({ seq: 4, at, prev, type: 'mark', data: {} });
    appendFileSync(file, unacknowledged);
    reopenJournal(file).close();
    const result = readJournal(file);
    expect(result).toMatchObject({ problems: [], tornLines: [4], count: 4 });
    expect(result.entries[3]?.type).toBe('journal.torn-line');
  });

  it('refuses to continue a journal whose chain is broken, listing the problems', () => {
    writeThree();
    const [a, b, c] = lines();
    writeFileSync(file, `${a}\n${c}\n${b}\n`);
    let caught: unknown;
    try {
      reopenJournal(file);
    } catch (error) {
      caught = error;
    }
    expect(isDrillbookError(caught)).toBe(true);
    const { code, shortMessage, message } = caught as { code: string; shortMessage: string; message: string };
    expect(code).toBe('EVIDENCE');
    expect(shortMessage).toBe(`journal ${file} is damaged; it cannot be continued`);
    expect(message).toContain('  line 2: prev does not match the SHA-256 of line 1');
  });

  it('detects an edited torn line', () => {
    writeThree();
    appendFileSync(file, '{"seq":4,"at');
    reopenJournal(file).close();
    writeFileSync(file, readFileSync(file, 'utf8').replace('{"seq":4,"at\n', '{"seq":4,"ax\n'));
    expect(readJournal(file).problems).toEqual([
      'line 4: not a journal entry (invalid JSON)',
      'line 5: prev does not match the SHA-256 of line 4',
    ]);
  });

  it('in barrier mode writes each line at once and keeps the same chain', () => {
    const journal = createJournal(file, 'barrier');
    journal.append('run.started', { n: 1 }, '2026-01-01T00:00:00.000Z');
    // Another process (recover) must see the line before any sync: it is written, only not yet flushed.
    expect(readJournal(file).count).toBe(1);
    journal.sync();
    journal.append('step.started', { n: 2 }, '2026-01-01T00:00:01.000Z');
    journal.close();
    const read = readJournal(file);
    expect(read.problems).toEqual([]);
    expect(read.entries.map((e) => e.type)).toEqual(['run.started', 'step.started']);
    expect(read.head).toBe(journal.head);
  });
});
