/**
 * `drillbook approve BUNDLE --key K [--comment …]`: sign the approval a waiting run asks for. Shows what is
 * approved (scenario, version, run, vars), refuses a key that is not one of the approvers, and waits a moment
 * for the run to count it.
 */
import { readApprovalRequest, writeApproval } from '../../evidence/approval.js';
import { eventsOfType } from '../../evidence/journal-events.js';
import { loadSigningKey } from '../../evidence/keys.js';
import { DrillbookError } from '../../errors.js';
import { bundleLayout } from '../../evidence/bundle-files.js';
import { revealInvisible } from '../../visible-text.js';
import { exitCodes } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { operatorName } from '../operator.js';
import { reportError } from '../report-error.js';
import { assertRunIsLive, readBundleEvents, takenLine, waitForRun } from '../wait-for-run.js';
import { assertBundleDir } from './verify.js';

export interface ApproveFlags {
  key?: string;
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
    if (eventsOfType(events, 'approval.requested').length === 0) throw new DrillbookError('PRECONDITION', 'nothing to approve: this run has not asked for approvals');
    const ended = eventsOfType(events, 'approval.ended')[0];
    assertRunIsLive(dir, events);
    if (ended) throw new DrillbookError('PRECONDITION', `nothing to approve: the wait for approvals is over (${ended.data.status})`);
    const { request, sha256 } = readApprovalRequest(dir);
    // Sign only the request the run made: one rewritten in the bundle would show, and have signed, other facts.
    if (sha256 !== eventsOfType(events, 'approval.requested')[0]?.data.requestSha256) {
      throw new DrillbookError('PRECONDITION', `${bundleLayout.approvals}/request.json is not the request this run made (its SHA-256 differs from the journal's): nothing was signed`, {
        hint: 'someone changed the bundle; tell the run owner',
      });
    }
    if (!request.approvers.some((a) => a.keyid === key.keyid)) {
      throw new DrillbookError('PRECONDITION', `key ${key.keyid} is not one of this run's approvers`, { hint: `the scenario names ${request.approvers.map((a) => a.file).join(', ')}` });
    }
    const by = operatorName(flags.operator);
    const written = writeApproval(dir, { runId: request.runId, scenarioSha256: request.scenarioSha256, requestSha256: sha256, by, at: new Date().toISOString(), keyid: key.keyid, ...(flags.comment ? { comment: flags.comment } : {}) }, key);
    const taken = await waitForRun(dir, written.sha256, { taken: 'approval.granted', refused: 'approval.rejected' }, flags.waitMs ?? 10_000);
    if (flags.json) {
      io.stdout(`${JSON.stringify({ file: written.file, keyid: key.keyid, by, runId: request.runId, scenarioId: request.scenarioId, scenarioSha256: request.scenarioSha256, taken })}\n`);
    } else {
      const vars = Object.entries(request.vars).map(([name, value]) => `${name}=${value}`).join(' ');
      io.stdout(revealInvisible(`approved run ${request.runId} of ${request.scenarioId} (scenario SHA-256 ${request.scenarioSha256.slice(0, 16)}…${vars ? `, vars ${vars}` : ''}) as ${by} with key ${key.keyid}: ${written.file}\n`));
      io.stdout(takenLine(taken, 'approval'));
    }
    return taken.status === 'refused' ? exitCodes.invalidInput : exitCodes.ok;
  } catch (error) {
    return reportError(error, io);
  }
}
