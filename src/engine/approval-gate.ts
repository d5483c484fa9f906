/**
 * The wait for approvals, after the preconditions and before any step: the request goes into the bundle and
 * the journal; the run goes on once `quorum` distinct approver keys signed an approval of this exact request.
 * A file that is not such an approval is journalled as rejected and removed. No quorum by the timeout: the
 * run ends ABORTED with nothing run.
 */
import { readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { approvalFile, approvalLimitBytes, checkApproval, writeApprovalRequest, type ApprovalRequest } from '../evidence/approval.js';
import { bundleLayout } from '../evidence/bundle-files.js';
import { carriesSecret } from '../evidence/carries-secret.js';
import { foreignFolder } from '../evidence/own-folder.js';
import { readRegularFile } from '../evidence/read-regular-file.js';
import type { Redactor } from '../redact.js';
import type { Approval } from '../scenario/types.js';
import { sleepOn, type Clock } from './clock.js';
import type { JournalWriter } from './journal-writer.js';

/** An approver key as the run loaded it. */
export interface ApproverKey {
  keyid: string;
  publicKey: string;
  file: string;
}

export interface ApprovalGateOptions {
  bundleDir: string;
  runId: string;
  scenarioId: string;
  scenarioSha256: string;
  vars: Readonly<Record<string, string>>;
  approval: Approval;
  approvers: readonly ApproverKey[];
  journal: JournalWriter;
  clock: Clock;
  t(): number;
  iso(t: number): string;
  pollMs?: number;
  /** An approval carrying a secret's value (in its comment) is refused: the bundle could not be sealed with it. */
  redactor: Redactor;
}

/** Resolves true once the quorum signed, false at the timeout; rejects when `signal` aborts. */
export async function awaitApprovals(options: ApprovalGateOptions, signal: AbortSignal): Promise<boolean> {
  const { bundleDir, journal, approval } = options;
  const request: ApprovalRequest = {
    runId: options.runId,
    scenarioId: options.scenarioId,
    scenarioSha256: options.scenarioSha256,
    vars: { ...options.vars },
    requestedAt: options.iso(options.t()),
    quorum: approval.quorum,
    approvers: options.approvers.map((a) => ({ ...a })),
  };
  const requestSha256 = writeApprovalRequest(bundleDir, request);
  journal.write('approval.requested', { t: options.t(), quorum: approval.quorum, approvers: options.approvers.map((a) => a.keyid), requestSha256, timeoutMs: approval.timeoutMs }, { barrier: true });
  const deadline = options.t() + approval.timeoutMs;
  const granted = new Set<string>();
  const refused = new Set<string>();
  for (;;) {
    for (const name of listApprovals(bundleDir)) {
      const file = `${bundleLayout.approvals}/${name}`;
      const keyid = approvalFile.exec(file)?.[1];
      if (keyid !== undefined && granted.has(keyid)) continue;
      const bytes = readRegularFile(join(bundleDir, file), approvalLimitBytes);
      if (bytes === undefined) continue;
      const found = checkApproval(bytes, file, request, requestSha256);
      const checked = found.ok && carriesSecret(bytes, options.redactor) ? { ok: false as const, problem: "it contains a secret's value", sha256: found.sha256 } : found;
      if (checked.ok) {
        granted.add(checked.claim.keyid);
        const { by, at, keyid: id, comment } = checked.claim;
        journal.write('approval.granted', { t: options.t(), keyid: id, by, at, ...(comment !== undefined ? { comment } : {}), file, sha256: checked.sha256 }, { barrier: true });
      } else if (!refused.has(`${file}|${checked.sha256}`)) {
        refused.add(`${file}|${checked.sha256}`);
        // Removed before the rejection is told: whoever reads the journal may write again at once.
        try {
          if (!foreignFolder(bundleDir, bundleLayout.approvals)) unlinkSync(join(bundleDir, file));
        } catch {
          // Left in place, it stays refused.
        }
        journal.write('approval.rejected', { t: options.t(), file, sha256: checked.sha256, reason: checked.problem }, { barrier: true });
      }
    }
    if (granted.size >= approval.quorum) {
      journal.write('approval.ended', { t: options.t(), status: 'granted', granted: granted.size }, { barrier: true });
      return true;
    }
    if (options.t() >= deadline) {
      journal.write('approval.ended', { t: options.t(), status: 'timed-out', granted: granted.size }, { barrier: true });
      return false;
    }
    try {
      await sleepOn(options.clock, Math.min(options.pollMs ?? 250, Math.max(0, deadline - options.t())), signal);
    } catch (error) {
      journal.write('approval.ended', { t: options.t(), status: 'interrupted', granted: granted.size }, { barrier: true });
      throw error;
    }
  }
}

/** Names in approvals/ besides the request and files being written (dot-named temporaries). */
function listApprovals(bundleDir: string): string[] {
  // A link in the folder's place would have the run read, and remove, files elsewhere.
  if (foreignFolder(bundleDir, bundleLayout.approvals)) return [];
  try {
    return readdirSync(join(bundleDir, bundleLayout.approvals))
      .filter((name) => name !== 'request.json' && !name.startsWith('.'))
      .sort();
  } catch {
    return [];
  }
}
