/** Files a hostile writer hand-crafts in a running bundle: valid in every way but how they spell a value. */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { answerPath, claimFor, readRequest, requestPath } from '../../src/evidence/answer.js';
import { approvalPayloadType } from '../../src/evidence/approval.js';
import { signEnvelope } from '../../src/evidence/dsse.js';
import { loadSigningKey } from '../../src/evidence/keys.js';
import { stableStringify } from '../../src/evidence/stable-json.js';

/** An approval signed by a real approver key whose payload spells its comment with `\u` escapes. */
export function signApprovalWithRawComment(bundle: string, keyFile: string, escapedComment: string): void {
  const key = loadSigningKey(keyFile);
  const bytes = readFileSync(join(bundle, 'approvals', 'request.json'));
  const request = JSON.parse(bytes.toString('utf8')) as { runId: string; scenarioSha256: string };
  const requestSha256 = createHash('sha256').update(bytes).digest('hex');
  const claim = { at: new Date().toISOString(), by: 'mallory', comment: '@@', keyid: key.keyid, requestSha256, runId: request.runId, scenarioSha256: request.scenarioSha256 };
  const payload = Buffer.from(stableStringify(claim).replace('"@@"', `"${escapedComment}"`), 'utf8');
  writeFileSync(join(bundle, 'approvals', `${key.keyid}.dsse.json`), `${stableStringify(signEnvelope(approvalPayloadType, payload, key))}\n`);
}

/** An unsigned answer to the question waiting in the bundle, its comment spelled with `\u` escapes. */
export function writeAnswerWithRawComment(bundle: string, stepId: string, attempt: number, escapedComment: string): void {
  const request = readRequest(bundle, requestPath(stepId, attempt));
  const claim = claimFor(request, { outcome: 'passed', inputs: { ticket: 'T-1' }, confirmed: [...request.confirm], comment: '@@' }, 'mallory', new Date().toISOString());
  writeFileSync(join(bundle, answerPath(stepId, attempt)), `${stableStringify({ claim }).replace('"@@"', `"${escapedComment}"`)}\n`);
}
