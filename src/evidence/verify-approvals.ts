/**
 * The approvals a run waited for, checked offline: the request in the bundle names this run, scenario
 * version and vars; every approval the record counts is signed by one of the request's keys over exactly
 * that request; and a run that went on had its quorum of distinct keys. Whether those keys are ones the
 * verifier pinned is said: the scenario named them, the verifier decides whether to trust them.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { approvalRequestPath, checkApproval, gateRequestPath, parseApprovalRequest } from './approval.js';
import { stableStringify } from './stable-json.js';
import type { TrustedKey } from './keys.js';
import type { ApprovalRecord, RunRecord } from './run-record.js';
import { createHash } from 'node:crypto';

export interface ApprovalsReview {
  present: boolean;
  problems: string[];
  facts: string[];
}

export async function reviewApprovals(dir: string, record: RunRecord, keys: readonly TrustedKey[]): Promise<ApprovalsReview> {
  const gates = [
    ...(record.approval ? [{ approval: record.approval, label: '', stepId: undefined }] : []),
    ...[...record.steps, ...record.cleanup].flatMap((step) => (step.approval ? [{ approval: step.approval, label: `step ${step.id}: `, stepId: step.id }] : [])),
  ];
  if (gates.length === 0) return { present: false, problems: [], facts: [] };
  const problems: string[] = [];
  const facts: string[] = [];
  for (const gate of gates) {
    const review = await reviewGate(dir, record, gate.approval, keys, gate.stepId);
    problems.push(...review.problems.map((p) => `${gate.label}${p}`));
    facts.push(...review.facts.map((f) => `${gate.label}${f}`));
  }
  return { present: true, problems, facts };
}

async function reviewGate(dir: string, record: RunRecord, approval: ApprovalRecord, keys: readonly TrustedKey[], stepId?: string): Promise<{ problems: string[]; facts: string[] }> {
  const problems: string[] = [];
  const facts: string[] = [];
  const requestPath = stepId !== undefined ? gateRequestPath({ stepId, attempt: approval.attempt ?? 0 }) : approvalRequestPath;
  if ((approval.request ?? approvalRequestPath) !== requestPath) return { problems: [`the record names ${approval.request ?? approvalRequestPath} as the request of this gate, not ${requestPath}`], facts };
  const bytes = await readFile(join(dir, requestPath)).catch(() => undefined);
  const request = bytes ? parseApprovalRequest(bytes) : undefined;
  if (!bytes || !request) return { problems: [`${requestPath} is missing or not an approval request`], facts };
  const requestSha256 = createHash('sha256').update(bytes).digest('hex');
  if (requestSha256 !== approval.requestSha256) problems.push(`${requestPath} is not the request the record names`);
  if (request.runId !== record.runId || request.scenarioSha256 !== record.scenario.sha256 || stableStringify(request.vars) !== stableStringify(record.vars)) {
    problems.push(`${requestPath} asks for another run, scenario version or vars`);
  }
  if (request.stepId !== stepId || request.attempt !== approval.attempt) problems.push(`${requestPath} asks for another gate`);
  const pinned = new Map(keys.map((key) => [key.keyid, key.source]));
  const signers = new Set<string>();
  for (const granted of approval.granted) {
    const file = await readFile(join(dir, granted.file)).catch(() => undefined);
    if (!file) {
      problems.push(`${granted.file} is missing`);
      continue;
    }
    const checked = checkApproval(file, granted.file, request, requestSha256);
    const roles = request.approvers.find((a) => a.keyid === granted.keyid)?.roles;
    if (!checked.ok) problems.push(`${granted.file}: ${checked.problem}`);
    else if (
      checked.claim.by !== granted.by ||
      checked.claim.at !== granted.at ||
      checked.claim.keyid !== granted.keyid ||
      checked.claim.comment !== granted.comment ||
      stableStringify(roles ?? null) !== stableStringify(granted.roles ?? null)
    ) {
      problems.push(`${granted.file} does not say what the record says`);
    } else {
      signers.add(granted.keyid);
      const source = pinned.get(granted.keyid);
      facts.push(`approved by ${granted.by}${roles ? ` (${roles.join(', ')})` : ''} with ${source ? `pinned key ${source}` : `key ${granted.keyid} (not pinned)`}`);
    }
  }
  if (approval.status === 'granted' && signers.size < approval.quorum) problems.push(`the gate opened with ${signers.size} valid approval(s); its quorum is ${approval.quorum}`);
  facts.unshift(`${signers.size} of ${approval.quorum} required approval(s), ${approval.status}${request.trust ? `; roles from ${request.trust.file} (SHA-256 ${request.trust.sha256})` : ''}`);
  return { problems, facts };
}
