/**
 * A manual step's question on the run's own terminal: the instructions, the checklist, the values to record,
 * then pass, fail with a reason, or abort (as Ctrl-C). The prompt shows the time since T0 and since the
 * question was put, refreshed every second. An answer given elsewhere (`drillbook answer`) closes it.
 */
import { createInterface, type Interface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { AnswerParts } from '../evidence/answer.js';
import type { OperatorPrompt, PendingQuestion } from '../engine/operator-desk.js';
import { formatDuration } from '../scenario/duration.js';
import { answerCommandLine } from './answer-hint.js';

export interface PromptTerminal {
  input: Readable;
  output: Writable;
  /** Run time since T0, when T0 has been reached. */
  sinceT0(): number | undefined;
  /** Stop the drill as Ctrl-C does (steps stop, cleanup runs). */
  interrupt(): void;
  /** Hold other live output while the prompt is up; returns the release. */
  hold(): () => void;
  /** Text as the terminal may show it (secrets out, controls visible). */
  safe(text: string): string;
}

type Field = { kind: 'confirm'; item: string } | { kind: 'input'; name: string } | { kind: 'decide' } | { kind: 'comment' };

export function createManualPrompt(terminal: PromptTerminal): OperatorPrompt {
  // One question at a time on one terminal (manual steps of a parallel group): the next waits its turn, and
  // is skipped if it was answered elsewhere meanwhile.
  let turn = Promise.resolve();
  return (question) => {
    turn = turn.then(() => (question.signal.aborted ? undefined : ask(terminal, question))).catch(() => undefined);
  };
}

async function ask(terminal: PromptTerminal, question: PendingQuestion): Promise<void> {
  const { request } = question;
  const out = (text: string): void => void terminal.output.write(terminal.safe(text));
  const release = terminal.hold();
  const startedAt = Date.now();
  out(`\n━━ manual step ${request.stepId} (attempt ${request.attempt})${request.assignee ? ` for ${request.assignee}` : ''} ━━\n`);
  out(`${request.instructions.trimEnd()}\n`);
  if (request.confirm.length) out(`\nChecklist:\n${request.confirm.map((item) => `  [ ] ${item}\n`).join('')}`);
  if (request.record.length) out(`\nTo record: ${request.record.join(', ')}\n`);
  out(`\nAnswer here, or from another terminal:\n  ${answerCommandLine(question.bundleDir, request.stepId)}\n\n`);

  const fields: Field[] = [...request.confirm.map((item): Field => ({ kind: 'confirm', item })), ...request.record.map((name): Field => ({ kind: 'input', name })), { kind: 'decide' }];
  const parts: AnswerParts = { outcome: 'passed', inputs: {}, confirmed: [] };
  let index = 0;
  const rl: Interface = createInterface({ input: terminal.input, output: terminal.output, terminal: true });
  const label = (): string => {
    const field = fields[index];
    if (!field) return '';
    switch (field.kind) {
      case 'confirm':
        return `confirm "${field.item}"? [y = done, n = not done]`;
      case 'input':
        return `${field.name}:`;
      case 'decide':
        return '(p)ass, (f)ail, (a)bort the drill:';
      case 'comment':
        return parts.outcome === 'failed' ? 'why did it fail?' : 'comment (Enter for none):';
    }
  };
  const render = (): void => {
    const t0 = terminal.sinceT0();
    const times = `${t0 !== undefined ? `T0+${formatDuration(t0)} · ` : ''}waiting ${formatDuration(Date.now() - startedAt)}`;
    rl.setPrompt(terminal.safe(`[${times}] ${label()} `));
    rl.prompt(true);
  };
  const timer = setInterval(render, 1000);
  const finished = new Promise<void>((resolve) => {
    let closed = false;
    const close = (): void => {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      rl.close();
      release();
      resolve();
    };
    question.signal.addEventListener(
      'abort',
      () => {
        if (!closed) out('\n(the question was closed: answered elsewhere, timed out or stopped)\n');
        close();
      },
      { once: true },
    );
    // Ctrl-C while the prompt has the terminal: the run's own interrupt, as anywhere else.
    rl.on('SIGINT', () => {
      out('\n');
      close();
      terminal.interrupt();
    });
    rl.on('line', (raw) => {
      const text = raw.trim();
      const field = fields[index];
      if (!field) return;
      if (field.kind === 'confirm') {
        if (/^y(es)?$/i.test(text)) parts.confirmed.push(field.item);
        else if (!/^no?$/i.test(text)) return render();
        index += 1;
        // An item not done rules out a pass: no values to record, straight to fail or abort.
        if (fields[index]?.kind !== 'confirm' && parts.confirmed.length < request.confirm.length) index = fields.findIndex((f) => f.kind === 'decide');
      } else if (field.kind === 'input') {
        if (text === '') return render();
        parts.inputs[field.name] = text;
        index += 1;
      } else if (field.kind === 'decide') {
        if (/^a(bort)?$/i.test(text)) {
          out('aborting the drill (as Ctrl-C): the steps stop and cleanup runs\n');
          close();
          terminal.interrupt();
          return;
        }
        if (!/^(p(ass)?|f(ail)?)$/i.test(text)) return render();
        parts.outcome = /^p/i.test(text) ? 'passed' : 'failed';
        if (parts.outcome === 'passed' && parts.confirmed.length < request.confirm.length) {
          out('a pass needs every checklist item done: answer f to fail, or a to abort\n');
          return render();
        }
        fields.push({ kind: 'comment' });
        index += 1;
      } else {
        if (parts.outcome === 'failed' && text === '') return render();
        if (text !== '') parts.comment = text;
        try {
          question.answer(parts);
          out(`answer written (${parts.outcome}); the run takes it or says why not\n`);
        } catch (error) {
          // A value that cannot be written (too long, not allowed): said, and asked again from the start.
          out(terminal.safe(`not answered: ${error instanceof Error ? error.message : String(error)}; answer again\n`));
          parts.confirmed.length = 0;
          parts.inputs = {};
          delete parts.comment;
          parts.outcome = 'passed';
          index = 0;
          return render();
        }
        close();
        return;
      }
      render();
    });
  });
  render();
  await finished;
}
