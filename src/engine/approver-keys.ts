/**
 * The keys that may approve, loaded before anything runs: the key files a scenario names, and the keys its
 * trust file gives each named role. An unreadable file, a key that is not Ed25519, a role the trust file does
 * not have or a quorum that more keys than there are would be needed for is a usage error, nothing run.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { DrillbookError } from '../errors.js';
import { loadTrustedKey } from '../evidence/keys.js';
import type { RunnerCatalog } from '../runner-contract.js';
import { rolePattern, type Approvers } from '../scenario/approvers.js';
import { runnableSteps, type Scenario } from '../scenario/types.js';

/** An approver key as the run loaded it. */
export interface ApproverKey {
  keyid: string;
  publicKey: string;
  /** The key file, as the scenario or the trust file names it (relative to the scenario folder). */
  file: string;
  /** The roles the trust file gives this key, when it came through roles. */
  roles?: string[];
}

/** Who may approve one gate, with the trust file's digest when roles were read from one. */
export interface LoadedApprovers {
  keys: ApproverKey[];
  trust?: { file: string; sha256: string };
}

const trustFileSchema = z.strictObject({
  roles: z.record(z.string().regex(rolePattern, 'expected a role name: lowercase letters, digits and single dashes'), z.array(z.string().min(1)).min(1)),
});

/** `where` names the gate in messages ("approval", "step promote"). */
export function loadApprovers(approvers: Approvers, quorum: number, baseDir: string, where: string): LoadedApprovers {
  const byId = new Map<string, ApproverKey>();
  const add = (file: string, role?: string): void => {
    const trusted = loadTrustedKey(resolve(baseDir, file));
    const known = byId.get(trusted.keyid);
    if (known) {
      if (role !== undefined) known.roles = [...new Set([...(known.roles ?? []), role])];
      return;
    }
    byId.set(trusted.keyid, { keyid: trusted.keyid, publicKey: trusted.publicKey.export({ type: 'spki', format: 'pem' }).toString(), file, ...(role !== undefined ? { roles: [role] } : {}) });
  };
  for (const file of approvers.keys) add(file);
  let trust: LoadedApprovers['trust'];
  if (approvers.trust !== undefined) {
    const trustFile = resolve(baseDir, approvers.trust);
    const { roles, sha256 } = readTrustFile(trustFile);
    trust = { file: approvers.trust, sha256 };
    for (const role of approvers.roles) {
      const files = roles[role];
      if (!files) throw new DrillbookError('USAGE', `${where}: role ${role} is not in ${approvers.trust}`, { hint: `the trust file has ${Object.keys(roles).join(', ') || 'no roles'}` });
      for (const file of files) add(relative(baseDir, resolve(dirname(trustFile), file)), role);
    }
  }
  const keys = [...byId.values()];
  if (keys.length < quorum) {
    throw new DrillbookError('USAGE', `${where}: quorum ${quorum} needs as many distinct keys; the approvers name ${keys.length}`, { hint: "list each approver's own public key once" });
  }
  return { keys, ...(trust ? { trust } : {}) };
}

/** The approvers of every step whose runner is a gate (`uses: approval`), by step id. */
export function loadStepGates(scenario: Scenario, catalog: RunnerCatalog): Record<string, { approvers: LoadedApprovers; quorum: number }> {
  const gates: Record<string, { approvers: LoadedApprovers; quorum: number }> = {};
  for (const step of runnableSteps(scenario)) {
    const spec = catalog[step.uses]?.gate?.(step.with);
    if (spec) gates[step.id] = { approvers: loadApprovers(spec, spec.quorum, scenario.source.dir, `step ${step.id}`), quorum: spec.quorum };
  }
  return gates;
}

/** A trust file on its own (`drillbook validate x.trust.yaml`): its roles, each key file loaded. */
export function checkTrustFile(file: string): { roles: number; keys: number } {
  const { roles } = readTrustFile(resolve(file));
  const keys = new Set<string>();
  for (const files of Object.values(roles)) for (const key of files) keys.add(loadTrustedKey(resolve(dirname(file), key)).keyid);
  return { roles: Object.keys(roles).length, keys: keys.size };
}

/** Every approver key of the scenario (its own gate and its steps'), loaded as a run would: the first problem throws. */
export function checkApprovers(scenario: Scenario, catalog: RunnerCatalog): void {
  if (typeof scenario.approval === 'object') loadApprovers(scenario.approval, scenario.approval.quorum, scenario.source.dir, 'approval');
  loadStepGates(scenario, catalog);
}

function readTrustFile(file: string): { roles: Record<string, string[]>; sha256: string } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new DrillbookError('USAGE', `cannot read trust file ${file}: ${(error as Error).message}`, { cause: error });
  }
  const lines = new LineCounter();
  const document = parseDocument(bytes.toString('utf8'), { lineCounter: lines, prettyErrors: false });
  const error = document.errors[0];
  if (error) {
    const { line, col } = lines.linePos(error.pos[0]);
    throw new DrillbookError('USAGE', `${file}:${line}:${col}: not YAML: ${error.message.split('\n')[0]}`);
  }
  const parsed = trustFileSchema.safeParse(document.toJS());
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const node = issue ? document.getIn(issue.path as (string | number)[], true) : undefined;
    const offset = node && typeof node === 'object' && 'range' in node && Array.isArray(node.range) ? (node.range[0] as number) : 0;
    const { line, col } = lines.linePos(offset);
    throw new DrillbookError('USAGE', `${file}:${line}:${col}: ${issue?.path.length ? `${issue.path.join('.')}: ` : ''}${issue?.message ?? 'not a trust file'}`, {
      hint: 'a trust file is `roles:` mapping each role to a list of public key files, e.g. roles: { dba: [alice.pub] }',
    });
  }
  return { roles: parsed.data.roles, sha256: createHash('sha256').update(bytes).digest('hex') };
}
