import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readApprovalRequest, writeApproval } from '../../src/evidence/approval.js';
import { loadSigningKey } from '../../src/evidence/keys.js';
import { drillbook, readRecord, waitFor, workspace, writeScenario } from './support.js';

const scenarioBody = (timeout: string) => `environment: production
approval:
  approvers: { keys: [alice.pub, bob.pub, carol.pub] }
  quorum: 2
  timeout: ${timeout}
vars:
  region: eu-west
steps:
  - id: failover
    uses: local
    run: [node, -e, "require('fs').writeFileSync('failover-ran', 'yes')"]
`;

async function keys(dir: string, ...names: string[]): Promise<void> {
  for (const name of names) expect((await drillbook(['keys', 'generate', join(dir, name)])).exitCode).toBe(0);
}

const journalHas = (bundle: string, type: string): boolean => existsSync(join(bundle, 'journal.jsonl')) && readFileSync(join(bundle, 'journal.jsonl'), 'utf8').includes(`"type":"${type}"`);

describe('approvals: no side effect before the quorum of approver keys signed this exact run', () => {
  it('waits for two of three approvers; refuses strangers, repeats and forgeries; then runs, and verify checks every approval', async () => {
    const dir = workspace();
    await keys(dir, 'alice', 'bob', 'carol', 'mallory');
    const file = writeScenario(dir, 'approved-failover', scenarioBody('5m'));
    const out = join(dir, 'bundle');
    const run = drillbook(['run', file, '--out', out, '--yes', '--json'], { cwd: dir });
    await waitFor(() => journalHas(out, 'approval.requested'));

    const alice = await drillbook(['approve', out, '--key', join(dir, 'alice.key'), '--operator', 'alice', '--comment', 'change CHG-9 approved']);
    expect(alice.all).toContain('the run took the approval');
    expect(alice.all).toContain('vars region=eu-west');
    expect(alice.exitCode).toBe(0);
    expect(existsSync(join(dir, 'failover-ran'))).toBe(false);

    const stranger = await drillbook(['approve', out, '--key', join(dir, 'mallory.key')]);
    expect(stranger.exitCode).toBe(4);
    expect(stranger.all).toContain("is not one of this run's approvers");
    const twice = await drillbook(['approve', out, '--key', join(dir, 'alice.key')]);
    expect(twice.exitCode).toBe(4);
    expect(twice.all).toContain('has already approved this run');

    // Carol's signature over another request (the same run with other vars) must not count.
    const carol = loadSigningKey(join(dir, 'carol.key'));
    const { request } = readApprovalRequest(out);
    writeApproval(out, { runId: request.runId, scenarioSha256: request.scenarioSha256, requestSha256: '0'.repeat(64), by: 'carol', at: new Date().toISOString(), keyid: carol.keyid }, carol);
    await waitFor(() => journalHas(out, 'approval.rejected'));
    expect(existsSync(join(out, 'approvals', `${carol.keyid}.dsse.json`))).toBe(false);
    expect(existsSync(join(dir, 'failover-ran'))).toBe(false);

    const bob = await drillbook(['approve', out, '--key', join(dir, 'bob.key'), '--operator', 'bob']);
    expect(bob.exitCode).toBe(0);
    const result = await run;
    expect(result.exitCode).toBe(0);
    expect(readFileSync(join(dir, 'failover-ran'), 'utf8')).toBe('yes');
    const record = readRecord(out);
    expect(record.approval).toMatchObject({ quorum: 2, status: 'granted' });
    expect(record.approval?.granted.map((g) => [g.by, g.comment])).toEqual([
      ['alice', 'change CHG-9 approved'],
      ['bob', undefined],
    ]);
    expect(record.approval?.approvers).toHaveLength(3);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('2 of 2 required approval(s) from 3 approver key(s): granted');

    const verified = await drillbook(['verify', out, '--threshold', '0', '--key', join(dir, 'alice.pub'), '--json']);
    expect(verified.exitCode).toBe(0);
    const check = (JSON.parse(verified.stdout) as { checks: { id: string; status: string; details: string[] }[] }).checks.find((c) => c.id === 'approvals');
    expect(check?.status).toBe('passed');
    expect(check?.details[0]).toBe('2 of 2 required approval(s), granted');
    expect(check?.details.some((d) => d.startsWith('approved by bob with key ') && d.endsWith('(not pinned)'))).toBe(true);
  });

  it('no quorum by the timeout: ABORTED, nothing ran, and a late approval is refused', async () => {
    const dir = workspace();
    await keys(dir, 'alice', 'bob', 'carol');
    const file = writeScenario(dir, 'unapproved-failover', scenarioBody('2s'));
    const out = join(dir, 'bundle');
    const result = await drillbook(['run', file, '--out', out, '--yes'], { cwd: dir });
    expect(result.all).toContain('approve with: drillbook approve');
    expect(result.exitCode).toBe(1);
    const record = readRecord(out);
    expect(record.verdict).toBe('ABORTED');
    expect(record.endReason).toBe('not-approved');
    expect(record.verdictReasons).toContain('the approvals did not reach their quorum in time: no step ran');
    expect(record.steps.map((s) => s.status)).toEqual(['not-run']);
    expect(record.approval).toMatchObject({ status: 'timed-out', granted: [] });
    expect(existsSync(join(dir, 'failover-ran'))).toBe(false);
    const late = await drillbook(['approve', out, '--key', join(dir, 'alice.key')]);
    expect(late.exitCode).toBe(4);
    expect(late.all).toContain('the wait for approvals is over (timed-out)');
  });

  it("an approval whose comment carries a secret's value is refused (the bundle could not be sealed with it); a clean one counts", async () => {
    const dir = workspace();
    await keys(dir, 'alice', 'bob', 'carol');
    const body = scenarioBody('1m').replace('vars:\n', 'secrets:\n  token: { env: APPROVAL_TOKEN }\nvars:\n').replace('quorum: 2', 'quorum: 1');
    const file = writeScenario(dir, 'secret-approval', body);
    const out = join(dir, 'bundle');
    const run = drillbook(['run', file, '--out', out, '--yes'], { cwd: dir, env: { APPROVAL_TOKEN: 'Zq9-approval-secret' } });
    await waitFor(() => journalHas(out, 'approval.requested'));
    const leaky = await drillbook(['approve', out, '--key', join(dir, 'alice.key'), '--comment', 'ok, token is Zq9-approval-secret']);
    expect(leaky.exitCode).toBe(2);
    expect(leaky.all).toContain("it contains a secret's value");
    expect(leaky.all).not.toContain('Zq9-approval-secret');
    expect(existsSync(join(dir, 'failover-ran'))).toBe(false);
    expect((await drillbook(['approve', out, '--key', join(dir, 'bob.key'), '--comment', 'approved'])).exitCode).toBe(0);
    const result = await run;
    expect(result.exitCode).toBe(0);
    expect(result.all).not.toContain('Zq9-approval-secret');
    const record = readRecord(out);
    expect(record.approval?.granted.map((g) => g.by)).toHaveLength(1);
    for (const name of ['journal.jsonl', 'record.json', 'report.html']) expect(readFileSync(join(out, name), 'utf8')).not.toContain('Zq9-approval-secret');
  });

  it('a key file that is not an Ed25519 public key is refused before anything runs', async () => {
    const dir = workspace();
    await keys(dir, 'alice', 'bob');
    writeFileSync(join(dir, 'carol.pub'), 'not a key\n');
    const file = writeScenario(dir, 'bad-approver', scenarioBody('5m'));
    const result = await drillbook(['run', file, '--out', join(dir, 'bundle'), '--yes'], { cwd: dir });
    expect(result.exitCode).toBe(2);
    expect(result.all).toContain('carol.pub is not a PEM public key');
    expect(existsSync(join(dir, 'bundle'))).toBe(false);
  });
});
