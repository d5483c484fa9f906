/**
 * Where a manual step waits for a person. The question goes into the bundle and the journal; the answer is
 * the first valid answer file for it, whoever wrote it (the run's own terminal through {@link PendingQuestion},
 * or `drillbook answer` from another process or machine). An answer that does not fit the question (another
 * attempt's nonce, a missing input, a broken signature, a secret's value) is journalled as rejected, removed
 * and waited past: it never ends the step and never reaches the record.
 */
import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { OperatorAnswer, OperatorQuestion } from '../runner-contract.js';
import { answerLimitBytes, answerPath, claimFor, misfit, newNonce, parseAnswer, writeAnswer, writeRequest, type AnswerParts, type ManualRequest } from '../evidence/answer.js';
import { foreignFolder } from '../evidence/own-folder.js';
import { carriesSecret } from '../evidence/carries-secret.js';
import { readRegularFile } from '../evidence/read-regular-file.js';
import type { Redactor } from '../redact.js';
import { sleepOn, type Clock } from './clock.js';
import type { JournalWriter } from './journal-writer.js';

/** A question in wait, as the run's own terminal sees it. */
export interface PendingQuestion {
  request: ManualRequest;
  /** Bundle-relative files of the question and of the answer that will close it. */
  requestFile: string;
  answerFile: string;
  bundleDir: string;
  /** Aborts when the question is closed (answered elsewhere, timed out, the run stopped). */
  signal: AbortSignal;
  /** Answer as the run's operator (writes the answer file; the first answer counts). */
  answer(parts: AnswerParts): void;
}

/** Shows a question on the run's terminal; absent without one (`--json`, CI, the scheduler). */
export type OperatorPrompt = (question: PendingQuestion) => void;

export interface OperatorDeskOptions {
  bundleDir: string;
  runId: string;
  scenarioSha256: string;
  operator: string;
  journal: JournalWriter;
  clock: Clock;
  t(): number;
  iso(t: number): string;
  redactor: Redactor;
  prompt?: OperatorPrompt;
  pollMs?: number;
}

export interface OperatorDesk {
  ask(stepId: string, attempt: number, question: OperatorQuestion, signal: AbortSignal): Promise<OperatorAnswer>;
}

export function createOperatorDesk(options: OperatorDeskOptions): OperatorDesk {
  const { journal, bundleDir } = options;
  const pollMs = options.pollMs ?? 250;

  let lastRejected: string | undefined;
  const rejectFile = (request: ManualRequest, file: string, sha256: string, reason: string): void => {
    // Something that cannot be removed is journalled once, not at every look.
    if (lastRejected === `${file}|${sha256}`) return;
    lastRejected = `${file}|${sha256}`;
    // Gone from the bundle (it may hold a secret) before the rejection is told, so whoever reads the journal
    // can write the next answer at once; its digest stays.
    try {
      if (!foreignFolder(bundleDir, file.split('/').slice(0, -1).join('/'))) unlinkSync(join(bundleDir, file));
    } catch {
      // A folder in the answer's place: it stays rejected until someone removes it.
    }
    journal.write('manual.rejected', { stepId: request.stepId, attempt: request.attempt, t: options.t(), file, sha256, reason }, { barrier: true });
  };

  const check = (request: ManualRequest, file: string): OperatorAnswer | undefined => {
    // Only from the bundle's own folder: a link in its place would bring in an answer kept elsewhere.
    if (foreignFolder(bundleDir, file.split('/').slice(0, -1).join('/'))) return undefined;
    const bytes = readRegularFile(join(bundleDir, file), answerLimitBytes);
    if (bytes === undefined) return undefined;
    const parsed = parseAnswer(bytes);
    if (!parsed.ok) {
      rejectFile(request, file, parsed.sha256, parsed.problem);
      return undefined;
    }
    const problem = misfit(request, parsed.claim) ?? (carriesSecret(bytes, options.redactor) ? "it contains a secret's value" : undefined);
    if (problem !== undefined) {
      rejectFile(request, file, parsed.sha256, problem);
      return undefined;
    }
    const { claim } = parsed;
    const answer: OperatorAnswer = {
      outcome: claim.outcome,
      by: claim.by,
      at: claim.at,
      ...(claim.comment !== undefined ? { comment: claim.comment } : {}),
      inputs: claim.inputs,
      confirmed: claim.confirmed,
      ...(parsed.keyid ? { keyid: parsed.keyid } : {}),
      file,
      sha256: parsed.sha256,
    };
    journal.write('manual.answered', { stepId: request.stepId, attempt: request.attempt, t: options.t(), ...answer }, { barrier: true });
    return answer;
  };

  return {
    async ask(stepId, attempt, question, signal) {
      const request: ManualRequest = {
        runId: options.runId,
        scenarioSha256: options.scenarioSha256,
        stepId,
        attempt,
        nonce: newNonce(),
        askedAt: options.iso(options.t()),
        instructions: question.instructions,
        confirm: [...question.confirm],
        ...(question.assignee !== undefined ? { assignee: question.assignee } : {}),
        record: [...question.record],
      };
      const requestFile = writeRequest(bundleDir, request);
      const file = answerPath(stepId, attempt);
      journal.write(
        'manual.waiting',
        { stepId, attempt, t: options.t(), file: requestFile, answerFile: file, ...(question.assignee !== undefined ? { assignee: question.assignee } : {}) },
        { barrier: true },
      );
      const closed = new AbortController();
      const stop = (): void => closed.abort(signal.reason);
      signal.addEventListener('abort', stop, { once: true });
      try {
        options.prompt?.({
          request,
          requestFile,
          answerFile: file,
          bundleDir,
          signal: closed.signal,
          answer: (parts) => {
            writeAnswer(bundleDir, claimFor(request, parts, options.operator, new Date(options.clock.wallNow()).toISOString()));
          },
        });
        for (;;) {
          const answer = check(request, file);
          if (answer) return answer;
          await sleepOn(options.clock, pollMs, signal);
        }
      } finally {
        signal.removeEventListener('abort', stop);
        closed.abort(new Error('closed'));
      }
    },
  };
}
