/** Live progress on a terminal (one updating status line), plain lines otherwise, NDJSON with --json. */
import logUpdate from 'log-update';
import type { JournalEvent } from '../evidence/journal-events.js';
import { formatDuration } from '../scenario/duration.js';
import type { CliIo } from './io.js';

export type ProgressMode = 'tty' | 'plain' | 'json';

export interface Progress {
  onEvent(event: JournalEvent): void;
  note(text: string): void;
  /** Run time since T0 (ms) once T0 was reached. */
  sinceT0(): number | undefined;
  /** Stop the live status line while something else has the terminal (a manual step's prompt); returns the release. */
  hold(): () => void;
  stop(): void;
}

export function createProgress(mode: ProgressMode, io: CliIo, rtoMs: number | undefined): Progress {
  if (mode === 'json') {
    return {
      onEvent: (event) => io.stdout(`${JSON.stringify(event)}\n`),
      note: (text) => io.stderr(`${text}\n`),
      sinceT0: () => undefined,
      hold: () => () => undefined,
      stop: () => undefined,
    };
  }
  const startedAt = Date.now();
  const running = new Map<string, number>();
  let t0At: number | undefined;
  const line = (event: JournalEvent): string | undefined => {
    switch (event.type) {
      case 'step.started':
        return `▶ ${event.data.stepId}`;
      case 'attempt.finished':
        return event.data.status === 'failed' ? `  ${event.data.stepId} attempt ${event.data.attempt} failed: ${event.data.message ?? event.data.reason ?? 'failed'}` : undefined;
      case 'step.finished':
        return `${event.data.status === 'passed' ? '✔' : '✘'} ${event.data.stepId} ${event.data.status}`;
      case 'mark':
        return `◆ ${event.data.mark} at ${event.at}`;
      case 'manual.waiting':
        return `⏸ ${event.data.stepId} waits for ${event.data.assignee ?? 'a person'}`;
      case 'manual.answered':
        return `  ${event.data.stepId}: ${event.data.outcome} by ${event.data.by}${event.data.keyid ? ` (key ${event.data.keyid.slice(0, 16)})` : ''}${event.data.comment ? `: ${event.data.comment}` : ''}`;
      case 'manual.rejected':
        return `  ${event.data.stepId}: an answer was refused: ${event.data.reason}`;
      case 'approval.requested':
        return `⏸ ${event.data.stepId !== undefined ? `${event.data.stepId} waits` : 'waiting'} for ${event.data.quorum} of ${event.data.approvers.length} approver key(s) to sign (drillbook approve BUNDLE${event.data.stepId !== undefined ? ` --step ${event.data.stepId}` : ''} --key K)`;
      case 'approval.granted':
        return `  ${event.data.stepId !== undefined ? `${event.data.stepId}: ` : ''}approved by ${event.data.by}${event.data.roles ? ` (${event.data.roles.join(', ')})` : ''} (key ${event.data.keyid.slice(0, 16)})`;
      case 'approval.rejected':
        return `  ${event.data.stepId !== undefined ? `${event.data.stepId}: ` : ''}an approval was refused: ${event.data.reason}`;
      case 'approval.ended':
        return event.data.status === 'granted' ? `✔ ${event.data.stepId !== undefined ? `${event.data.stepId} ` : ''}approved` : `✘ approvals ${event.data.stepId !== undefined ? `of ${event.data.stepId} ` : ''}${event.data.status} (${event.data.granted} signed)`;
      case 'cleanup.started':
        return '— cleanup';
      case 'readiness.checked':
        return event.data.ok ? `✔ ready: ${event.data.checks.map((c) => c.target).join(', ')}` : '✘ readiness check failed';
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
  let held = 0;
  const timer = mode === 'tty' ? setInterval(() => held === 0 && logUpdate(status()), 250) : undefined;
  const print = (text: string): void => {
    if (mode === 'tty' && held === 0) {
      logUpdate.clear();
      io.stdout(`${text}\n`);
      logUpdate(status());
    } else {
      io.stdout(`${text}\n`);
    }
  };
  return {
    onEvent(event) {
      if (event.type === 'step.started') running.set(event.data.stepId, Date.now());
      if (event.type === 'step.finished') running.delete(event.data.stepId);
      if (event.type === 'mark' && event.data.mark === 't0') t0At = Date.now();
      const text = line(event);
      if (text) print(text);
    },
    note: (text) => print(text),
    sinceT0: () => (t0At === undefined ? undefined : Date.now() - t0At),
    hold() {
      if (mode === 'tty' && held++ === 0) logUpdate.clear();
      let released = false;
      return () => {
        if (released) return;
        released = true;
        if (mode === 'tty') held -= 1;
      };
    },
    stop() {
      if (timer) clearInterval(timer);
      if (mode === 'tty') logUpdate.clear();
    },
  };
}
