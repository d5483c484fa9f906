/**
 * The answers of a run's manual steps, checked offline: each answer file says what the record says (who,
 * when, outcome, comment, values), belongs to this run, and a signed one verifies over exactly its claim.
 * Whether its key is one the verifier pinned is reported: a signature by an unknown key proves nothing of who.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAnswer } from './answer.js';
import type { TrustedKey } from './keys.js';
import type { RunRecord } from './run-record.js';
import { stableStringify } from './stable-json.js';

export interface AnswersReview {
  count: number;
  problems: string[];
  facts: string[];
}

export async function reviewAnswers(dir: string, record: RunRecord, keys: readonly TrustedKey[]): Promise<AnswersReview> {
  const review: AnswersReview = { count: 0, problems: [], facts: [] };
  const pinned = new Map(keys.map((key) => [key.keyid, key.source]));
  for (const step of [...record.steps, ...record.cleanup]) {
    const answer = step.answer;
    if (!answer) continue;
    review.count += 1;
    const bytes = await readFile(join(dir, answer.file)).catch(() => undefined);
    if (!bytes) {
      review.problems.push(`${step.id}: ${answer.file} is missing`);
      continue;
    }
    const parsed = parseAnswer(bytes);
    if (!parsed.ok) {
      review.problems.push(`${step.id}: ${answer.file}: ${parsed.problem}`);
      continue;
    }
    const { claim } = parsed;
    const said = { by: claim.by, at: claim.at, outcome: claim.outcome, comment: claim.comment, inputs: claim.inputs, confirmed: claim.confirmed, keyid: parsed.keyid };
    const recorded = { by: answer.by, at: answer.at, outcome: answer.outcome, comment: answer.comment, inputs: answer.inputs, confirmed: answer.confirmed, keyid: answer.keyid };
    if (claim.runId !== record.runId || claim.stepId !== step.id || claim.scenarioSha256 !== record.scenario.sha256) {
      review.problems.push(`${step.id}: ${answer.file} answers another run or step`);
    } else if (stableStringify(said) !== stableStringify(recorded)) {
      review.problems.push(`${step.id}: ${answer.file} does not say what the record says`);
    } else if (parsed.keyid) {
      const source = pinned.get(parsed.keyid);
      review.facts.push(`${step.id}: ${claim.outcome} by ${claim.by}, signed by ${source ? `pinned key ${source}` : `key ${parsed.keyid}, not pinned`}`);
    } else {
      review.facts.push(`${step.id}: ${claim.outcome} by ${claim.by}, unsigned`);
    }
  }
  return review;
}
