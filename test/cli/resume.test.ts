/**
 * `drillbook resume` on production runs with approvals: the approvals already given stand (no new request),
 * continuing production steps is confirmed again (a terminal or --yes), and a crashed production run's cleanup
 * runs under `recover` too (no confirmation or approval is asked of a run that is being closed).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { drillbook, isAlive, readRecord, waitFor, workspace, writeScenario } from './support.js';

const body = `environment: production
approval:
  approvers: { keys: [alice.pub] }
  quorum: 1
  timeout: 5m
objectives: { rto: 10m }
steps:
  - { id: fence, uses: local, marks: t0, run: [node, -e, "require('fs').appendFileSync('ran', 'fence\\\\n')"] }
  - id: promote
    uses: local
    idempotent: true
    run: [node, -e, "require('fs').appendFileSync('ran', 'promote\\\\n'); setTimeout(() => {}, Number(process.argv[1]))", "\${{ vars.hold }}"]
  - { id: check, uses: local, marks: recovered, run: [node, -e, "require('fs').appendFileSync('ran', 'check\\\\n')"] }
cleanup:
  - { id: unfence, uses: local, run: [node, -e, "require('fs').appendFileSync('ran', 'unfence\\\\n')"] }
vars: { hold: "0" }
`;

const journal = (bundle: string): { type: string; data: Record<string, unknown> }[] =>
  existsSync(join(bundle, 'journal.jsonl'))
    ? readFileSync(join(bundle, 'journal.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { type: string; data: Record<string, unknown> })
    : [];
const ran = (dir: string): string[] => (existsSync(join(dir, 'ran')) ? readFileSync(join(dir, 'ran'), 'utf8').split('\n').filter(Boolean) : []);

/** An approved production run killed with SIGKILL while `promote` runs. */
async function crashedDuringPromote(): Promise<{ dir: string; bundle: string; cli: (args: string[]) => ReturnType<typeof drillbook> }> {
  const dir = workspace();
  const cli = (args: string[]) => drillbook(args, { cwd: dir, env: { DRILLBOOK_LOCK_DIR: join(dir, 'locks') } });
  for (const name of ['alice', 'ops']) expect((await cli(['keys', 'generate', join(dir, name)])).exitCode).toBe(0);
  const file = writeScenario(dir, 'prod-failover', body);
  const bundle = join(dir, 'bundle');
  const run = cli(['run', file, '--out', bundle, '--yes', '--var', 'hold=4000', '--sign-key', join(dir, 'ops.key')]);
  await waitFor(() => journal(bundle).some((e) => e.type === 'approval.requested'));
  expect((await cli(['approve', bundle, '--key', join(dir, 'alice.key'), '--operator', 'alice'])).exitCode).toBe(0);
  await waitFor(() => journal(bundle).some((e) => e.type === 'process.started' && e.data['stepId'] === 'promote'));
  run.kill('SIGKILL');
  expect((await run).signal).toBe('SIGKILL');
  return { dir, bundle, cli };
}

describe('resume and recover of a production run with approvals', () => {
  it('resume asks again before continuing production, then keeps the approvals and does not run finished steps again', async () => {
    const { dir, bundle, cli } = await crashedDuringPromote();
    const leftover = Number(journal(bundle).find((e) => e.type === 'process.started' && e.data['stepId'] === 'promote')?.data['pid']);
    const before = readFileSync(join(bundle, 'journal.jsonl'));

    const unconfirmed = await cli(['resume', bundle]);
    expect(unconfirmed.exitCode).toBe(2);
    expect(unconfirmed.stderr).toContain('prod-failover targets production and there is no terminal to confirm on');
    expect(readFileSync(join(bundle, 'journal.jsonl'))).toEqual(before);

    const resumed = await cli(['resume', bundle, '--yes', '--operator', 'bob', '--sign-key', join(dir, 'ops.key')]);
    expect(resumed.stderr).toBe('');
    expect(resumed.exitCode).toBe(0);
    expect(isAlive(leftover)).toBe(false);
    const events = journal(bundle);
    expect(events.filter((e) => e.type === 'approval.requested')).toHaveLength(1);
    const record = readRecord(bundle);
    expect(record.verdict).toBe('PASS');
    expect(record.approval).toMatchObject({ status: 'granted', granted: [{ by: 'alice' }] });
    expect(record.resumes).toMatchObject([{ by: 'bob', mode: 'steps', retried: ['promote'] }]);
    // promote ran again (with the run's own vars: it held 4 s again), fence did not.
    expect(ran(dir)).toEqual(['fence', 'promote', 'promote', 'check', 'unfence']);
    expect(resumed.stdout).toMatch(/RTO .*of which .* with the run stopped until it was resumed/);
    expect((await cli(['verify', bundle, '--key', join(dir, 'ops.pub')])).exitCode).toBe(0);
  }, 60_000);

  it('a run whose cleanup was abandoned after Ctrl-C is resumed to the end of its cleanup, and stays ABORTED by SIGINT', async () => {
    const dir = workspace();
    const cli = (args: string[]) => drillbook(args, { cwd: dir, env: { DRILLBOOK_LOCK_DIR: join(dir, 'locks') } });
    const hold = (id: string, ms: number) => `  - { id: ${id}, uses: local, run: [node, -e, "require('fs').appendFileSync('ran', '${id}\\\\n'); setTimeout(() => {}, ${ms})"] }\n`;
    const file = writeScenario(dir, 'abandoned', `steps:\n${hold('work', 30_000)}cleanup:\n${hold('undo', 5_000)}`);
    const bundle = join(dir, 'bundle');
    const run = cli(['run', file, '--out', bundle]);
    const started = (id: string, n = 1) => journal(bundle).filter((e) => e.type === 'process.started' && e.data['stepId'] === id).length >= n;
    await waitFor(() => started('work'));
    run.kill('SIGINT');
    await waitFor(() => started('undo'));
    // One at a time: signals of one kind do not queue.
    for (const _ of [1, 2]) {
      run.kill('SIGINT');
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    const abandoned = await run;
    expect(abandoned.exitCode).toBe(130);
    expect(journal(bundle).some((e) => e.type === 'run.finished')).toBe(false);

    const resumed = await cli(['resume', bundle]);
    expect(resumed.exitCode).toBe(130);
    const record = readRecord(bundle);
    expect([record.verdict, record.endReason, record.signal]).toEqual(['ABORTED', 'signal', 'SIGINT']);
    expect(record.resumes).toMatchObject([{ mode: 'cleanup' }]);
    expect(record.cleanup.map((s) => s.status)).toEqual(['passed']);
    // The interrupted step is not run again: its one attempt, cancelled by the signal.
    expect(record.steps.map((s) => [s.id, s.status, s.attempts.length])).toEqual([['work', 'cancelled', 1]]);
  }, 60_000);

  it('recover of a crashed production run runs its cleanup without asking for a confirmation or approvals', async () => {
    const { dir, bundle, cli } = await crashedDuringPromote();
    const recovered = await cli(['recover', bundle, '--sign-key', join(dir, 'ops.key')]);
    expect(recovered.exitCode).toBe(0);
    const record = readRecord(bundle);
    expect([record.verdict, record.endReason]).toEqual(['ABORTED', 'crashed']);
    expect(record.cleanup.map((s) => [s.id, s.status])).toEqual([['unfence', 'passed']]);
    expect(ran(dir)).toEqual(['fence', 'promote', 'unfence']);
    expect(journal(bundle).filter((e) => e.type === 'approval.requested')).toHaveLength(1);
  }, 60_000);
});
