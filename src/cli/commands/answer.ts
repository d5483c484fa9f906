/**
 * `drillbook answer BUNDLE STEP --pass|--fail --comment … [--input NAME=VALUE]… [--key K]`: answer a manual
 * step a run waits on, from any terminal or machine that sees the bundle. The answer is written once (the
 * first one counts); the command then waits a moment for the run to take or refuse it, and says which.
 */
import { claimFor, misfit, openQuestion, readRequest, writeAnswer } from '../../evidence/answer.js';
import { eventsOfType } from '../../evidence/journal-events.js';
import { loadSigningKey } from '../../evidence/keys.js';
import { DrillbookError } from '../../errors.js';
import { revealInvisible } from '../../visible-text.js';
import { assertOwnFolder } from '../../evidence/own-folder.js';
import { exitCodes } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { operatorName } from '../operator.js';
import { reportError } from '../report-error.js';
import { assertBundleDir } from './verify.js';
import { assertRunIsLive, readBundleEvents, takenLine, waitForRun } from '../wait-for-run.js';

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

export async function answerCommand(bundle: string, stepId: string, flags: AnswerFlags, io: CliIo): Promise<number> {
  try {
    if (flags.pass === flags.fail) throw new DrillbookError('USAGE', 'answer needs exactly one of --pass and --fail');
    const dir = assertBundleDir(bundle);
    const events = readBundleEvents(dir);
    assertRunIsLive(dir, events);
    const question = openQuestion(events, stepId);
    if ('none' in question) throw new DrillbookError('PRECONDITION', `nothing to answer: ${question.none}`);
    assertOwnFolder(dir, question.file.split('/').slice(0, -1).join('/'));
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
    const taken = await waitForRun(dir, written.sha256, { taken: 'manual.answered', refused: 'manual.rejected' }, flags.waitMs ?? 10_000);
    if (flags.json) {
      io.stdout(`${JSON.stringify({ file: written.file, stepId, attempt: question.attempt, outcome, by: claim.by, ...(written.keyid ? { keyid: written.keyid } : {}), taken })}\n`);
    } else {
      const signed = written.keyid ? `, signed by key ${written.keyid}` : '';
      io.stdout(revealInvisible(`answered ${stepId} (attempt ${question.attempt}): ${outcome} as ${claim.by}${signed}: ${written.file}\n`));
      io.stdout(takenLine(taken, 'answer'));
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
