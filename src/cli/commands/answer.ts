/**
 * `drillbook answer BUNDLE STEP --pass|--fail --comment … [--input NAME=VALUE]… [--key K]`: answer a manual
 * step a run waits on, from any terminal or machine that sees the bundle. The answer is written once (the
 * first one counts); the command then waits a moment for the run to take or refuse it, and says which.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { claimFor, misfit, openQuestion, readRequest, writeAnswer } from '../../evidence/answer.js';
import { bundleLayout } from '../../evidence/bundle-files.js';
import { eventsOfType, parseJournalEvents, type JournalEvent } from '../../evidence/journal-events.js';
import { readJournal } from '../../evidence/journal.js';
import { loadSigningKey } from '../../evidence/keys.js';
import { DrillbookError } from '../../errors.js';
import { exitCodes } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { operatorName } from '../operator.js';
import { reportError } from '../report-error.js';
import { assertBundleDir } from './verify.js';

export interface AnswerFlags {
  pass?: boolean;
  fail?: boolean;
  comment?: string;
  input?: string[];
  key?: string;
  operator?: string;
  json?: boolean;
  /** How long to wait for the run to take the answer (ms); 0: do not wait. */
  waitMs?: number;
}

const readEvents = (bundle: string): JournalEvent[] => parseJournalEvents(readJournal(join(bundle, bundleLayout.journal)).entries).events;

export async function answerCommand(bundle: string, stepId: string, flags: AnswerFlags, io: CliIo): Promise<number> {
  try {
    if (flags.pass === flags.fail) throw new DrillbookError('USAGE', 'answer needs exactly one of --pass and --fail');
    const dir = assertBundleDir(bundle);
    const events = readEvents(dir);
    const question = openQuestion(events, stepId);
    if ('none' in question) throw new DrillbookError('PRECONDITION', `nothing to answer: ${question.none}`);
    const request = readRequest(dir, question.file);
    if (request.stepId !== stepId || request.attempt !== question.attempt) throw new DrillbookError('PRECONDITION', `${question.file} is not the question the journal names`);
    const started = eventsOfType(events, 'run.started')[0];
    if (!started || started.data.runId !== request.runId) throw new DrillbookError('PRECONDITION', `${question.file} does not belong to this bundle's run`);
    const inputs = parseInputs(flags.input ?? []);
    const outcome = flags.pass ? 'passed' : 'failed';
    // Passing says every checklist item was done; failing confirms nothing.
    const parts = { outcome, inputs, confirmed: outcome === 'passed' ? [...request.confirm] : [], ...(flags.comment !== undefined ? { comment: flags.comment } : {}) } as const;
    const key = flags.key ? loadSigningKey(flags.key) : undefined;
    const claim = claimFor(request, { ...parts, confirmed: [...parts.confirmed] }, operatorName(flags.operator), new Date().toISOString());
    const problem = misfit(request, claim);
    if (problem !== undefined) throw new DrillbookError('USAGE', `not answered: ${problem}`, { hint: hintFor(request.record) });
    const written = writeAnswer(dir, claim, key);
    const taken = await waitForRun(dir, written.sha256, flags.waitMs ?? 10_000);
    if (flags.json) {
      io.stdout(`${JSON.stringify({ file: written.file, stepId, attempt: question.attempt, outcome, by: claim.by, ...(written.keyid ? { keyid: written.keyid } : {}), taken })}\n`);
    } else {
      const signed = written.keyid ? `, signed by key ${written.keyid}` : '';
      io.stdout(`answered ${stepId} (attempt ${question.attempt}): ${outcome} as ${claim.by}${signed}: ${written.file}\n`);
      io.stdout(
        taken.status === 'taken'
          ? 'the run took the answer\n'
          : taken.status === 'refused'
            ? `the run refused the answer: ${taken.reason}\n`
            : 'the run has not taken the answer yet (it reads it within a second while it runs)\n',
      );
    }
    return taken.status === 'refused' ? exitCodes.invalidInput : exitCodes.ok;
  } catch (error) {
    return reportError(error, io);
  }
}

function parseInputs(pairs: readonly string[]): Record<string, string> {
  const inputs: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new DrillbookError('USAGE', `--input ${JSON.stringify(pair)}: expected NAME=VALUE`);
    inputs[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return inputs;
}

function hintFor(record: readonly string[]): string {
  return record.length ? `record ${record.map((name) => `--input ${name}=…`).join(' ')}; a fail needs --comment saying why` : 'a fail needs --comment saying why';
}

type Taken = { status: 'taken' } | { status: 'refused'; reason: string } | { status: 'pending' };

/** What the run did with the answer file of digest `sha256`. */
async function waitForRun(dir: string, sha256: string, waitMs: number): Promise<Taken> {
  const until = Date.now() + waitMs;
  for (;;) {
    const events = readEvents(dir);
    const same = (e: { data: { sha256: string } }): boolean => e.data.sha256 === sha256;
    if (eventsOfType(events, 'manual.answered').some(same)) return { status: 'taken' };
    const refused = eventsOfType(events, 'manual.rejected').filter(same).at(-1);
    if (refused) return { status: 'refused', reason: refused.data.reason };
    if (Date.now() >= until) return { status: 'pending' };
    await sleep(200);
  }
}
