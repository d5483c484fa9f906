/**
 * `drillbook approve BUNDLE --key K [--step STEP] [--comment …]`: sign the approval a waiting run asks for, at
 * its own gate or at a step `uses: approval`. Shows what is approved (scenario, version, run, vars, step),
 * refuses a key that is not one of the approvers, and waits a moment for the run to count it.
 */
import { gateRequestPath, readApprovalRequest, writeApproval, type Gate } from '../../evidence/approval.js';
import { eventsOfType, type JournalEvent } from '../../evidence/journal-events.js';
import { loadSigningKey } from '../../evidence/keys.js';
import { DrillbookError } from '../../errors.js';
import { revealInvisible } from '../../visible-text.js';
import { exitCodes } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { operatorName } from '../operator.js';
import { reportError } from '../report-error.js';
import { assertRunIsLive, readBundleEvents, takenLine, waitForRun } from '../wait-for-run.js';
import { assertBundleDir } from './verify.js';

export interface ApproveFlags {
  key?: string;
  step?: string;
  comment?: string;
  operator?: string;
  json?: boolean;
  waitMs?: number;
}

export async function approveCommand(bundle: string, flags: ApproveFlags, io: CliIo): Promise<number> {
  try {
    if (!flags.key) throw new DrillbookError('USAGE', 'approve needs --key FILE (your Ed25519 private key)');
    const key = loadSigningKey(flags.key);
    const dir = assertBundleDir(bundle);
    const events = readBundleEvents(dir);
    const { gate, requestSha256 } = openGate(events, flags.step);
    assertRunIsLive(dir, events);
    const { request, sha256 } = readApprovalRequest(dir, gate);
    // Sign only the request the run made: one rewritten in the bundle would show, and have signed, other facts.
    if (sha256 !== requestSha256) {
      throw new DrillbookError('PRECONDITION', `${gateRequestPath(gate)} is not the request this run made (its SHA-256 differs from the journal's): nothing was signed`, {
        hint: 'someone changed the bundle; tell the run owner',
      });
    }
    if (!request.approvers.some((a) => a.keyid === key.keyid)) {
      throw new DrillbookError('PRECONDITION', `key ${key.keyid} is not one of this run's approvers`, { hint: `the scenario names ${request.approvers.map((a) => a.file).join(', ')}` });
    }
    const by = operatorName(flags.operator);
    const written = writeApproval(dir, { runId: request.runId, scenarioSha256: request.scenarioSha256, requestSha256: sha256, by, at: new Date().toISOString(), keyid: key.keyid, ...(flags.comment ? { comment: flags.comment } : {}) }, key, gate);
    const taken = await waitForRun(dir, written.sha256, { taken: 'approval.granted', refused: 'approval.rejected' }, flags.waitMs ?? 10_000);
    if (flags.json) {
      io.stdout(`${JSON.stringify({ file: written.file, keyid: key.keyid, by, runId: request.runId, scenarioId: request.scenarioId, scenarioSha256: request.scenarioSha256, ...(gate ? { stepId: gate.stepId, attempt: gate.attempt } : {}), taken })}\n`);
    } else {
      const vars = Object.entries(request.vars).map(([name, value]) => `${name}=${value}`).join(' ');
      io.stdout(revealInvisible(`approved ${gate ? `step ${gate.stepId} (attempt ${gate.attempt}) of ` : ''}run ${request.runId} of ${request.scenarioId} (scenario SHA-256 ${request.scenarioSha256.slice(0, 16)}…${vars ? `, vars ${vars}` : ''}) as ${by} with key ${key.keyid}: ${written.file}\n`));
      io.stdout(takenLine(taken, 'approval'));
    }
    return taken.status === 'refused' ? exitCodes.invalidInput : exitCodes.ok;
  } catch (error) {
    return reportError(error, io);
  }
}

/** The gate to approve: the one `--step` names, else the run's own, else the only step gate that waits (each step at its latest attempt). */
function openGate(events: readonly JournalEvent[], step: string | undefined): { gate?: Gate; requestSha256: string } {
  type Requested = (typeof requested)[number];
  const requested = eventsOfType(events, 'approval.requested');
  const ended = eventsOfType(events, 'approval.ended');
  const endOf = (e: Requested) => ended.find((x) => x.data.stepId === e.data.stepId && x.data.attempt === e.data.attempt);
  const pick = (e: Requested) => {
    const over = endOf(e);
    if (over) throw new DrillbookError('PRECONDITION', `nothing to approve: the wait for approvals${e.data.stepId !== undefined ? ` at step ${e.data.stepId}` : ''} is over (${over.data.status})`);
    const { stepId, attempt } = e.data;
    return { ...(stepId !== undefined && attempt !== undefined ? { gate: { stepId, attempt } } : {}), requestSha256: e.data.requestSha256 };
  };
  // A step asks again at each attempt: only its latest request is read by the run.
  const latest = new Map<string | undefined, Requested>(requested.map((e) => [e.data.stepId, e]));
  if (step !== undefined) {
    const asked = latest.get(step);
    if (!asked) throw new DrillbookError('PRECONDITION', `nothing to approve: step ${step} has not asked for approvals`, { hint: 'name a step `uses: approval` that the run has reached' });
    return pick(asked);
  }
  const own = latest.get(undefined);
  const waiting = [...latest.values()].filter((e) => e.data.stepId !== undefined && !endOf(e));
  if (own && (!endOf(own) || waiting.length === 0)) return pick(own);
  if (waiting.length > 1) throw new DrillbookError('USAGE', `several steps wait for approvals: ${waiting.map((e) => e.data.stepId).join(', ')}`, { hint: 'name one with --step STEP' });
  const last = waiting[0] ?? requested.at(-1);
  if (last) return pick(last);
  throw new DrillbookError('PRECONDITION', 'nothing to approve: this run has not asked for approvals');
}
