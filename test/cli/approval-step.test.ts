import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { drillbook, readRecord, waitFor, workspace, writeScenario } from './support.js';

const trustFile = `roles:
  dba: [people/alice.pub, people/bob.pub]
  manager: [people/carol.pub]
`;

const gatedBody = (timeout: string, approvers = '{ roles: [dba], trust: trust.yaml }') => `vars:
  region: eu-west
steps:
  - id: prepare
    uses: local
    run: [node, -e, "require('fs').writeFileSync('prepared', 'yes')"]
  - id: go-ahead
    uses: approval
    timeout: ${timeout}
    with:
      approvers: ${approvers}
      quorum: 1
  - id: failover
    uses: local
    run: [node, -e, "require('fs').writeFileSync('failover-ran', 'yes')"]
cleanup:
  - id: tidy
    uses: local
    run: [node, -e, "require('fs').writeFileSync('cleaned', 'yes')"]
`;

async function people(dir: string, ...names: string[]): Promise<void> {
  for (const name of names) expect((await drillbook(['keys', 'generate', join(dir, 'people', name)])).exitCode).toBe(0);
}

const journal = (bundle: string): string => (existsSync(join(bundle, 'journal.jsonl')) ? readFileSync(join(bundle, 'journal.jsonl'), 'utf8') : '');

describe('a step uses: approval holds back the steps after it until the quorum of a role signed that step', () => {
  it('the steps before it run; a key outside the role is refused; a DBA approves with --step; the record, report and verify say who, in which role', async () => {
    const dir = workspace();
    await people(dir, 'alice', 'bob', 'carol');
    writeFileSync(join(dir, 'trust.yaml'), trustFile);
    const file = writeScenario(dir, 'gated-failover', gatedBody('5m'));
    const out = join(dir, 'bundle');
    const run = drillbook(['run', file, '--out', out, '--json'], { cwd: dir });
    await waitFor(() => journal(out).includes('"type":"approval.requested"'));
    expect(readFileSync(join(dir, 'prepared'), 'utf8')).toBe('yes');
    expect(existsSync(join(dir, 'failover-ran'))).toBe(false);

    const manager = await drillbook(['approve', out, '--key', join(dir, 'people', 'carol.key')]);
    expect(manager.exitCode).toBe(4);
    expect(manager.all).toContain("is not one of this run's approvers");
    const wrongStep = await drillbook(['approve', out, '--step', 'failover', '--key', join(dir, 'people', 'alice.key')]);
    expect(wrongStep.exitCode).toBe(4);
    expect(wrongStep.all).toContain('step failover has not asked for approvals');
    expect(existsSync(join(dir, 'failover-ran'))).toBe(false);

    const dba = await drillbook(['approve', out, '--step', 'go-ahead', '--key', join(dir, 'people', 'bob.key'), '--operator', 'bob', '--comment', 'replication lag is zero']);
    expect(dba.exitCode).toBe(0);
    expect(dba.all).toContain('approved step go-ahead (attempt 1) of run');
    expect(dba.all).toContain('vars region=eu-west');
    const result = await run;
    expect(result.exitCode).toBe(0);
    expect(readFileSync(join(dir, 'failover-ran'), 'utf8')).toBe('yes');

    const record = readRecord(out);
    expect(record.verdict).toBe('PASS');
    expect(record.approval).toBeUndefined();
    const gate = record.steps.find((s) => s.id === 'go-ahead');
    expect(gate?.status).toBe('passed');
    expect(gate?.approval).toMatchObject({ quorum: 1, status: 'granted', attempt: 1, request: 'approvals/go-ahead/1/request.json' });
    expect(gate?.approval?.approvers).toHaveLength(2);
    expect(gate?.approval?.granted.map((g) => [g.by, g.roles, g.comment])).toEqual([['bob', ['dba'], 'replication lag is zero']]);
    expect(record.objectives.rto).toBeDefined();
    const request = JSON.parse(readFileSync(join(out, 'approvals', 'go-ahead', '1', 'request.json'), 'utf8')) as { stepId: string; attempt: number; trust: { file: string; sha256: string } };
    expect(request).toMatchObject({ stepId: 'go-ahead', attempt: 1, trust: { file: 'trust.yaml' } });
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('Step go-ahead');
    expect(html).toContain('approvals/go-ahead/1/request.json');

    const verified = await drillbook(['verify', out, '--threshold', '0', '--json']);
    expect(verified.exitCode).toBe(0);
    const check = (JSON.parse(verified.stdout) as { checks: { id: string; status: string; details: string[] }[] }).checks.find((c) => c.id === 'approvals');
    expect(check?.status).toBe('passed');
    expect(check?.details[0]).toMatch(/^step go-ahead: 1 of 1 required approval\(s\), granted; roles from trust\.yaml \(SHA-256 [0-9a-f]{64}\)$/);
    expect(check?.details[1]).toMatch(/^step go-ahead: approved by bob \(dba\) with key [0-9a-f]{64} \(not pinned\)$/);

  });

  it('no quorum within the step timeout: the step fails, the steps after it never run, cleanup runs, and a late approval is refused', async () => {
    const dir = workspace();
    await people(dir, 'alice', 'bob', 'carol');
    const file = writeScenario(dir, 'unapproved-gate', gatedBody('2s', '{ keys: [people/alice.pub] }'));
    const out = join(dir, 'bundle');
    const result = await drillbook(['run', file, '--out', out], { cwd: dir });
    expect(result.all).toContain(`approve with: drillbook approve ${out} --step go-ahead --key YOUR.key`);
    expect(result.exitCode).toBe(1);
    const record = readRecord(out);
    expect(record.verdict).toBe('FAIL');
    expect(record.steps.map((s) => [s.id, s.status])).toEqual([
      ['prepare', 'passed'],
      ['go-ahead', 'failed'],
      ['failover', 'not-run'],
    ]);
    expect(record.steps[1]?.reason).toBe('timeout');
    expect(record.steps[1]?.approval).toMatchObject({ status: 'timed-out', granted: [] });
    expect(existsSync(join(dir, 'failover-ran'))).toBe(false);
    expect(readFileSync(join(dir, 'cleaned'), 'utf8')).toBe('yes');
    const late = await drillbook(['approve', out, '--key', join(dir, 'people', 'alice.key')]);
    expect(late.exitCode).toBe(4);
    expect(late.all).toContain('the wait for approvals at step go-ahead is over (timed-out)');
  });

  it("a var holding a secret's value is shown redacted in the gate's request, to the approver and in the sealed bundle", async () => {
    const dir = workspace();
    await people(dir, 'alice');
    const body = gatedBody('1m', '{ keys: [people/alice.pub] }').replace('vars:\n', 'secrets:\n  token: { env: GATE_TOKEN }\nvars:\n');
    const file = writeScenario(dir, 'secret-var-gate', body);
    const out = join(dir, 'bundle');
    const secret = 'Zq9-"gate\\secret';
    const run = drillbook(['run', file, '--out', out, '--json', '--var', `region=eu-${secret}`], { cwd: dir, env: { GATE_TOKEN: secret } });
    await waitFor(() => journal(out).includes('"type":"approval.requested"'));
    expect(readFileSync(join(out, 'approvals', 'go-ahead', '1', 'request.json'), 'utf8')).not.toContain('Zq9-');
    const approved = await drillbook(['approve', out, '--key', join(dir, 'people', 'alice.key')]);
    expect(approved.exitCode).toBe(0);
    expect(approved.all).not.toContain('Zq9-');
    expect(approved.all).toContain('vars region=eu-***');
    const result = await run;
    expect(result.exitCode).toBe(0);
    const verified = await drillbook(['verify', out, '--threshold', '0']);
    expect(verified.exitCode).toBe(0);
    expect(verified.all).not.toContain('Zq9-');
  });

  it('a role the trust file does not have, or a trust file that is not one, stops the run before anything ran, naming file:line:column', async () => {
    const dir = workspace();
    await people(dir, 'alice');
    writeFileSync(join(dir, 'trust.yaml'), 'roles:\n  dba: [people/alice.pub]\n');
    const unknownRole = writeScenario(dir, 'unknown-role', gatedBody('5m', '{ roles: [auditor], trust: trust.yaml }'));
    const validated = await drillbook(['validate', unknownRole, join(dir, 'trust.yaml'), '--json'], { cwd: dir });
    expect(validated.exitCode).toBe(2);
    const [scenarioResult] = JSON.parse(validated.stdout) as { ok: boolean; issues: { code: string; message: string }[] }[];
    expect(scenarioResult?.issues.map((i) => [i.code, i.message])).toEqual([['approver-keys', 'step go-ahead: role auditor is not in trust.yaml (the trust file has dba)']]);
    const letThrough = writeScenario(dir, 'let-through', gatedBody('5m').replace('    uses: approval\n', '    uses: approval\n    continueOnError: true\n'));
    const refused = await drillbook(['validate', letThrough], { cwd: dir });
    expect(refused.exitCode).toBe(2);
    expect(refused.all).toContain('steps[1].continueOnError: an approval step cannot continue on error: the steps after it would run unapproved');
    writeFileSync(join(dir, 'team.trust.yaml'), 'roles:\n  dba: [people/alice.pub]\n');
    expect((await drillbook(['validate', join(dir, 'team.trust.yaml')])).all).toContain('ok (trust file, 1 role, 1 key)');
    const first = await drillbook(['run', unknownRole, '--out', join(dir, 'b1')], { cwd: dir });
    expect(first.exitCode).toBe(2);
    expect(first.all).toContain('step go-ahead: role auditor is not in trust.yaml');
    expect(existsSync(join(dir, 'b1'))).toBe(false);
    expect(existsSync(join(dir, 'prepared'))).toBe(false);

    writeFileSync(join(dir, 'trust.yaml'), 'roles:\n  dba: people/alice.pub\n');
    const file = writeScenario(dir, 'bad-trust', gatedBody('5m'));
    const second = await drillbook(['run', file, '--out', join(dir, 'b2')], { cwd: dir });
    expect(second.exitCode).toBe(2);
    expect(second.all).toMatch(/trust\.yaml:2:8: roles\.dba: /);
    expect(existsSync(join(dir, 'b2'))).toBe(false);
    expect(existsSync(join(dir, 'prepared'))).toBe(false);
  });
});
