/**
 * A step's `check` decides resume: the CLI is killed with SIGKILL while a step that may not run twice is in
 * flight, then `drillbook resume` runs the step's check. Found done, the step is closed as passed and runs no
 * more; found not done, it runs again; a check that tells nothing ends the run with its cleanup, unless the
 * step is safe to repeat. Every record verifies and names what the check found.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lines } from './journal-lines.js';
import { drillbook, isAlive, readRecord, workspace, writeScenario } from '../cli/support.js';


const ranCount = (dir: string, id: string): number => {
  const file = join(dir, 'ran');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l === id).length : 0;
};

interface Variant {
  /** The check's run and extra keys. */
  check: string;
  idempotent?: boolean;
}

const found = "process.exit(require('fs').existsSync(process.argv[1]) ? 0 : 1)";
const hangs = 'setTimeout(() => {}, 30000)';

/** promote records that it ran, writes its state after `hold` ms, then lingers as long again. */
function scenarioIn(dir: string, variant: Variant): string {
  const ran = join(dir, 'ran');
  const state = join(dir, 'promoted');
  const record = "require('fs').appendFileSync(process.argv[1], process.argv[2] + '\\\\n')";
  const promote = `${record}; const h = Number(process.argv[4]); setTimeout(() => require('fs').writeFileSync(process.argv[3], 'done'), h); setTimeout(() => {}, 2 * h)`;
  const step = (id: string, extra: string) => `  - { id: ${id}, uses: local, ${extra}run: [node, -e, "${record}", "${ran}", ${id}] }\n`;
  const check = variant.check === 'found' ? `{ run: [node, -e, "${found}", "${state}"] }` : `{ run: [node, -e, "${hangs}"], timeout: 500ms }`;
  return writeScenario(
    dir,
    'resume-check',
    `objectives: { rto: 10m }\nvars: { hold: "100" }\nsteps:\n${step('first', 'marks: t0, ')}` +
      `  - { id: promote, uses: local, marks: recovered, ${variant.idempotent ? 'idempotent: true, ' : ''}run: [node, -e, "${promote}", "${ran}", promote, "${state}", "\${{ vars.hold }}"], check: ${check} }\n` +
      `${step('last', '')}cleanup:\n${step('undo', '')}`,
  );
}

const onlyBundle = (store: string): string => join(store, 'resume-check', readdirSync(join(store, 'resume-check')).find((n) => n !== 'run.lock') ?? '');

const inWorkspace =
  (dir: string) =>
  (args: string[], env: Record<string, string> = {}) =>
    drillbook(args, { env: { DRILLBOOK_LOCK_DIR: join(dir, 'locks'), ...env } });

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i += 1) await new Promise((resolve) => setTimeout(resolve, 25));
  expect(condition()).toBe(true);
}

describe('resume decides a step cut short by its check', async () => {
  const probe = workspace();
  await drillbook(['run', scenarioIn(probe, { check: 'found' }), '--store', join(probe, 'store')]);
  const probed = lines(onlyBundle(join(probe, 'store')));
  const inFlight = probed.findIndex((l) => l.type === 'process.started' && l.data['stepId'] === 'promote') + 1;

  /** Run with promote holding `hold` ms, killed once promote's process runs. */
  async function crash(variant: Variant, hold: number) {
    const dir = workspace();
    const cli = inWorkspace(dir);
    const store = join(dir, 'store');
    const key = join(dir, 'ops');
    await cli(['keys', 'generate', key]);
    const file = scenarioIn(dir, variant);
    const crashed = await cli(['run', file, '--store', store, '--var', `hold=${hold}`, '--sign-key', `${key}.key`], { DRILLBOOK_FAULT: `kill-after-line:${inFlight}` });
    expect(crashed.signal).toBe('SIGKILL');
    const bundle = onlyBundle(store);
    const leftover = lines(bundle).find((l) => l.type === 'process.started' && l.data['stepId'] === 'promote');
    expect(leftover).toBeDefined();
    return { dir, cli, store, key, bundle, pgid: Number(leftover?.data['pgid']), state: join(dir, 'promoted') };
  }

  const resumeAndVerify = async (run: Awaited<ReturnType<typeof crash>>) => {
    const resumed = await run.cli(['resume', run.bundle, '--sign-key', `${run.key}.key`]);
    expect(resumed.stderr).not.toContain('    at ');
    const verified = await run.cli(['verify', run.bundle, '--key', `${run.key}.pub`]);
    expect(verified.stdout).toMatch(/^VALID/m);
    expect(existsSync(join(run.store, 'resume-check', 'run.lock'))).toBe(false);
    for (const l of lines(run.bundle).filter((e) => e.type === 'process.started')) expect(isAlive(Number(l.data['pid']))).toBe(false);
    return { resumed, record: readRecord(run.bundle) };
  };

  it('the check finds the work done: the step is closed as passed and not run again', async () => {
    const run = await crash({ check: 'found' }, 300);
    // The step's process goes on after the crash and does its work.
    await waitFor(() => existsSync(run.state));
    const { resumed, record } = await resumeAndVerify(run);
    expect(resumed.exitCode).toBe(0);
    expect(record.verdict).toBe('PASS');
    expect(ranCount(run.dir, 'promote')).toBe(1);
    const promote = record.steps.find((s) => s.id === 'promote');
    expect(promote?.status).toBe('passed');
    expect(promote?.attempts).toEqual([]);
    expect(promote?.check?.outcome).toBe('happened');
    expect(promote?.check?.attempts.map((a) => [a.attempt, a.status, a.exitCode])).toEqual([[1, 'passed', 0]]);
    expect(record.resumes?.[0]?.checked).toEqual(['promote']);
    expect(record.deviations.join('\n')).toContain('found done, closed as passed: promote');
    // Recovered by the check's end at the latest: never dated earlier than known.
    const checkEnd = Date.parse(promote?.check?.attempts[0]?.startedAt ?? '') + (promote?.check?.attempts[0]?.durationMs ?? 0);
    expect(record.marks.recovered?.stepId).toBe('promote');
    expect(Date.parse(record.marks.recovered?.at ?? '')).toBeGreaterThanOrEqual(checkEnd - 1);
    expect(ranCount(run.dir, 'last')).toBe(1);
  }, 60_000);

  it('the check finds the work not done: the step runs again', async () => {
    const run = await crash({ check: 'found' }, 3_000);
    await waitFor(() => ranCount(run.dir, 'promote') === 1);
    // The machine went down with its process, before the step did its work.
    process.kill(-run.pgid, 'SIGKILL');
    await waitFor(() => !isAlive(run.pgid));
    expect(existsSync(run.state)).toBe(false);
    const { resumed, record } = await resumeAndVerify(run);
    expect(resumed.exitCode).toBe(0);
    expect(record.verdict).toBe('PASS');
    expect(ranCount(run.dir, 'promote')).toBe(2);
    const promote = record.steps.find((s) => s.id === 'promote');
    expect(promote?.check?.outcome).toBe('not-happened');
    expect(promote?.attempts.map((a) => [a.attempt, a.status])).toEqual([[2, 'passed']]);
    expect(record.deviations.join('\n')).toContain('found not done, run again: promote');
  }, 60_000);

  it('a check that tells nothing ends the run with its cleanup: the step is not run again', async () => {
    const run = await crash({ check: 'hangs' }, 300);
    await waitFor(() => ranCount(run.dir, 'promote') === 1);
    const { resumed, record } = await resumeAndVerify(run);
    expect(resumed.exitCode).not.toBe(0);
    expect(record.verdict).toBe('ABORTED');
    expect(ranCount(run.dir, 'promote')).toBe(1);
    expect(ranCount(run.dir, 'last')).toBe(0);
    expect(ranCount(run.dir, 'undo')).toBe(1);
    const promote = record.steps.find((s) => s.id === 'promote');
    expect(promote?.status).toBe('cancelled');
    expect(promote?.message).toContain('its check could not tell whether it had done its work');
    expect(promote?.check?.outcome).toBe('unknown');
    expect(promote?.check?.attempts[0]).toMatchObject({ status: 'failed', reason: 'timeout' });
    expect(record.steps.find((s) => s.id === 'last')?.status).toBe('not-run');
    expect(record.deviations.join('\n')).toContain('could not tell, so the drill could not go on and only its cleanup ran: promote');
  }, 60_000);

  it('a check that tells nothing on a step safe to repeat: the step runs again', async () => {
    const run = await crash({ check: 'hangs', idempotent: true }, 300);
    await waitFor(() => ranCount(run.dir, 'promote') === 1);
    const { resumed, record } = await resumeAndVerify(run);
    expect(resumed.exitCode).toBe(0);
    expect(record.verdict).toBe('PASS');
    expect(ranCount(run.dir, 'promote')).toBe(2);
    expect(record.steps.find((s) => s.id === 'promote')?.check?.outcome).toBe('unknown');
    expect(record.deviations.join('\n')).toContain('could not tell, run again (safe to repeat): promote');
  }, 60_000);
});
