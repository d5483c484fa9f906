/**
 * The `approval` runner: waits at the step's gate through the engine and reports who approved. The list goes
 * to stdout as JSON, so later steps may read it as outputs (`json: /approvals/0/by`).
 */
import type { Observation, ParsedAttemptContext, TypedStepRunner } from '../../src/runner-contract.js';
import { jsonObservation } from '../shared/json-report.js';
import type { ApprovalOptions } from './definition.js';

export function createApprovalRunner(): TypedStepRunner<ApprovalOptions> {
  return { run: runApproval };
}

async function runApproval(ctx: ParsedAttemptContext<ApprovalOptions>): Promise<Observation> {
  if (!ctx.approve) return { error: { code: 'NO_APPROVALS', message: 'approval: this run has no way to collect approvals' } };
  let approvals;
  try {
    approvals = await ctx.approve();
  } catch (error) {
    // Stopped before the quorum signed (timeout, interrupt): the engine judges why.
    if (ctx.signal.aborted) return { details: { approved: false } };
    throw error;
  }
  const shown = approvals.map(({ by, at, keyid, roles, comment }) => ({ by, at, keyid, ...(roles ? { roles } : {}), ...(comment !== undefined ? { comment } : {}) }));
  return jsonObservation(ctx, { approved: true, quorum: ctx.options.quorum, approvals: shown }, { approved: true, files: approvals.map((a) => a.file) });
}
