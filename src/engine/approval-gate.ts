/**
 * The wait for approvals at a gate: the run's own (after the preconditions, before any step) or a step
 * `uses: approval`. The request goes into the bundle and the journal; the gate opens once `quorum` distinct
 * approver keys signed an approval of this exact request. A file that is not such an approval is journalled
 * as rejected and removed. No quorum by the timeout: the run's gate ends the run ABORTED with nothing run; a
 * step's gate has the step's own timeout and fails the step.
 */
import { readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { approvalKeyid, approvalLimitBytes, checkApproval, gateFolder, writeApprovalRequest, type ApprovalRequest, type Gate } from '../evidence/approval.js';
import { carriesSecret } from '../evidence/carries-secret.js';
import { foreignFolder } from '../evidence/own-folder.js';
import { readRegularFile } from '../evidence/read-regular-file.js';
import type { Redactor } from '../redact.js';
import type { GrantedApproval } from '../runner-contract.js';
import type { LoadedApprovers } from './approver-keys.js';
import { sleepOn, type Clock } from './clock.js';
import type { JournalWriter } from './journal-writer.js';

export interface ApprovalGateOptions {
  bundleDir: string;
  runId: string;
  scenarioId: string;
  scenarioSha256: string;
  vars: Readonly<Record<string, string>>;
  quorum: number;
  /** Without one, the wait lasts until `signal` aborts (a step's timeout). */
  timeoutMs?: number;
  approvers: LoadedApprovers;
  /** The step's gate; absent: the run's own. */
  gate?: Gate;
  journal: JournalWriter;
  clock: Clock;
  t(): number;
  iso(t: number): string;
  pollMs?: number;
  /** An approval carrying a secret's value (in its comment) is refused: the bundle could not be sealed with it. */
  redactor: Redactor;
}

/** Waits at the gate of a step `uses: approval` (attempt), until its quorum signed or `signal` aborts. */
export type StepGates = (stepId: string, attempt: number, signal: AbortSignal) => Promise<GrantedApproval[]>;

/** Resolves with the approvals once the quorum signed, undefined at the timeout; rejects when `signal` aborts. */
export async function awaitApprovals(options: ApprovalGateOptions, signal: AbortSignal): Promise<GrantedApproval[] | undefined> {
  const { bundleDir, journal, quorum, gate } = options;
  const folder = gateFolder(gate);
  const request: ApprovalRequest = {
    runId: options.runId,
    scenarioId: options.scenarioId,
    scenarioSha256: options.scenarioSha256,
    vars: { ...options.vars },
    requestedAt: options.iso(options.t()),
    quorum,
    approvers: options.approvers.keys.map((a) => ({ ...a })),
    ...(options.approvers.trust ? { trust: { ...options.approvers.trust } } : {}),
    ...gate,
  };
  const requestSha256 = writeApprovalRequest(bundleDir, request);
  const at = gate ? { stepId: gate.stepId, attempt: gate.attempt } : {};
  journal.write(
    'approval.requested',
    { t: options.t(), ...at, quorum, approvers: request.approvers.map((a) => a.keyid), requestSha256, ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}) },
    { barrier: true },
  );
  const deadline = options.timeoutMs !== undefined ? options.t() + options.timeoutMs : Infinity;
  const granted = new Map<string, GrantedApproval>();
  const refused = new Set<string>();
  for (;;) {
    for (const name of listApprovals(bundleDir, folder)) {
      const file = `${folder}/${name}`;
      const keyid = approvalKeyid(file, folder);
      if (keyid !== undefined && granted.has(keyid)) continue;
      const bytes = readRegularFile(join(bundleDir, file), approvalLimitBytes);
      if (bytes === undefined) continue;
      const found = checkApproval(bytes, file, request, requestSha256);
      const checked = found.ok && carriesSecret(bytes, options.redactor) ? { ok: false as const, problem: "it contains a secret's value", sha256: found.sha256 } : found;
      if (checked.ok) {
        const { by, at: signedAt, keyid: id, comment } = checked.claim;
        const roles = request.approvers.find((a) => a.keyid === id)?.roles;
        const approval: GrantedApproval = { keyid: id, by, at: signedAt, ...(roles ? { roles } : {}), ...(comment !== undefined ? { comment } : {}), file, sha256: checked.sha256 };
        granted.set(id, approval);
        journal.write('approval.granted', { t: options.t(), ...at, ...approval }, { barrier: true });
      } else if (!refused.has(`${file}|${checked.sha256}`)) {
        refused.add(`${file}|${checked.sha256}`);
        // Removed before the rejection is told: whoever reads the journal may write again at once.
        try {
          if (!foreignFolder(bundleDir, folder)) unlinkSync(join(bundleDir, file));
        } catch {
          // Left in place, it stays refused.
        }
        journal.write('approval.rejected', { t: options.t(), ...at, file, sha256: checked.sha256, reason: checked.problem }, { barrier: true });
      }
    }
    if (granted.size >= quorum) {
      journal.write('approval.ended', { t: options.t(), ...at, status: 'granted', granted: granted.size }, { barrier: true });
      return [...granted.values()];
    }
    if (options.t() >= deadline) {
      journal.write('approval.ended', { t: options.t(), ...at, status: 'timed-out', granted: granted.size }, { barrier: true });
      return undefined;
    }
    try {
      await sleepOn(options.clock, Math.min(options.pollMs ?? 250, Math.max(0, deadline - options.t())), signal);
    } catch (error) {
      // A step's gate ends at its step's timeout, as the run's own does at its own.
      const status = signal.reason instanceof Error && signal.reason.message === 'timeout' ? 'timed-out' : 'interrupted';
      journal.write('approval.ended', { t: options.t(), ...at, status, granted: granted.size }, { barrier: true });
      throw error;
    }
  }
}

/** Files in a gate's folder besides the request, files being written (dot-named temporaries) and step gates' folders. */
function listApprovals(bundleDir: string, folder: string): string[] {
  // A link in the folder's place would have the run read, and remove, files elsewhere.
  if (foreignFolder(bundleDir, folder)) return [];
  try {
    return readdirSync(join(bundleDir, folder), { withFileTypes: true })
      .filter((entry) => !entry.isDirectory() && entry.name !== 'request.json' && !entry.name.startsWith('.'))
      .map((entry) => entry.name)
      .sort();
  } catch {
    return [];
  }
}
