/** Live progress on a terminal (one updating status line), plain lines otherwise, NDJSON with --json. */
import logUpdate from 'log-update';
import type { JournalEvent } from '../engine/project-record.js';
import { formatDuration } from '../scenario/duration.js';
import type { CliIo } from './io.js';

export type ProgressMode = 'tty' | 'plain' | 'json';

export interface Progress {
  onEvent(event: JournalEvent): void;
  note(text: string): void;
  stop(): void;
}

export function createProgress(mode: ProgressMode, io: CliIo, rtoMs: number | undefined): Progress {
  if (mode === 'json') {
    return {
      onEvent: (event) => io.stdout(`${JSON.stringify(event)}\n`),
      note: (text) => io.stderr(`${text}\n`),
      stop: () => undefined,
    };
  }
  const startedAt = Date.now();
  const running = new Map<string, number>();
  let t0At: number | undefined;
  const line = (event: JournalEvent): string | undefined => {
    const d = event.data;
    const id = typeof d['stepId'] === 'string' ? d['stepId'] : '';
    switch (event.type) {
      case 'step.started':
        return `▶ ${id}`;
      case 'attempt.finished':
        return d['status'] === 'failed' ? `  ${id} attempt ${String(d['attempt'])} failed: ${String(d['message'] ?? d['reason'])}` : undefined;
      case 'step.finished':
        return `${d['status'] === 'passed' ? '✔' : '✘'} ${id} ${String(d['status'])}`;
      case 'mark':
        return `◆ ${String(d['mark'])} at ${event.at}`;
      case 'cleanup.started':
        return '— cleanup';
      case 'run.finished':
        return undefined;
      default:
        return undefined;
    }
  };
  const status = (): string => {
    const now = Date.now();
    const steps = [...running].map(([id, since]) => `${id} ${formatDuration(now - since)}`).join(', ');
    const rto = t0At !== undefined ? ` · since t0 ${formatDuration(now - t0At)}${rtoMs !== undefined ? ` of RTO ${formatDuration(rtoMs)}` : ''}` : '';
    return `… ${steps || 'waiting'} · elapsed ${formatDuration(now - startedAt)}${rto}`;
  };
  const timer = mode === 'tty' ? setInterval(() => logUpdate(status()), 250) : undefined;
  const print = (text: string): void => {
    if (mode === 'tty') {
      logUpdate.clear();
      io.stdout(`${text}\n`);
      logUpdate(status());
    } else {
      io.stdout(`${text}\n`);
    }
  };
  return {
    onEvent(event) {
      const id = typeof event.data['stepId'] === 'string' ? event.data['stepId'] : '';
      if (event.type === 'step.started') running.set(id, Date.now());
      if (event.type === 'step.finished') running.delete(id);
      if (event.type === 'mark' && event.data['mark'] === 't0') t0At = Date.now();
      const text = line(event);
      if (text) print(text);
    },
    note: (text) => print(text),
    stop() {
      if (timer) clearInterval(timer);
      if (mode === 'tty') logUpdate.clear();
    },
  };
}
