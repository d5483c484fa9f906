/**
 * The approvals a run waited for, checked offline: the request in the bundle names this run, scenario
 * version and vars; every approval the record counts is signed by one of the request's keys over exactly
 * that request; and a run that went on had its quorum of distinct keys. Whether those keys are ones the
 * verifier pinned is said: the scenario named them, the verifier decides whether to trust them.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { approvalRequestPath, approvalRequestSchema, checkApproval } from './approval.js';
import { stableStringify } from './stable-json.js';
import type { TrustedKey } from './keys.js';
import type { RunRecord } from './run-record.js';
import { createHash } from 'node:crypto';

export interface ApprovalsReview {
  present: boolean;
  problems: string[];
  facts: string[];
}

export async function reviewApprovals(dir: string, record: RunRecord, keys: readonly TrustedKey[]): Promise<ApprovalsReview> {
  const approval = record.approval;
  if (!approval) return { present: false, problems: [], facts: [] };
  const problems: string[] = [];
  const facts: string[] = [];
  const bytes = await readFile(join(dir, approvalRequestPath)).catch(() => undefined);
  const parsed = bytes ? approvalRequestSchema.safeParse(JSON.parse(bytes.toString('utf8'))) : undefined;
  if (!bytes || !parsed?.success) return { present: true, problems: [`${approvalRequestPath} is missing or not an approval request`], facts };
  const request = parsed.data;
  const requestSha256 = createHash('sha256').update(bytes).digest('hex');
  if (requestSha256 !== approval.requestSha256) problems.push(`${approvalRequestPath} is not the request the record names`);
  if (request.runId !== record.runId || request.scenarioSha256 !== record.scenario.sha256 || stableStringify(request.vars) !== stableStringify(record.vars)) {
    problems.push(`${approvalRequestPath} asks for another run, scenario version or vars`);
  }
  const pinned = new Map(keys.map((key) => [key.keyid, key.source]));
  const signers = new Set<string>();
  for (const granted of approval.granted) {
    const file = await readFile(join(dir, granted.file)).catch(() => undefined);
    if (!file) {
      problems.push(`${granted.file} is missing`);
      continue;
    }
    const checked = checkApproval(file, granted.file, request, requestSha256);
    if (!checked.ok) problems.push(`${granted.file}: ${checked.problem}`);
    else if (checked.claim.by !== granted.by || checked.claim.at !== granted.at || checked.claim.keyid !== granted.keyid || checked.claim.comment !== granted.comment) {
      problems.push(`${granted.file} does not say what the record says`);
    }
    else {
      signers.add(granted.keyid);
      const source = pinned.get(granted.keyid);
      facts.push(`approved by ${granted.by} with ${source ? `pinned key ${source}` : `key ${granted.keyid} (not pinned)`}`);
    }
  }
  if (approval.status === 'granted' && signers.size < approval.quorum) problems.push(`the run went on with ${signers.size} valid approval(s); its quorum is ${approval.quorum}`);
  facts.unshift(`${signers.size} of ${approval.quorum} required approval(s), ${approval.status}`);
  return { present: true, problems, facts };
}
