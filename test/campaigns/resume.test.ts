/**
 * Resume campaign: the CLI is killed with SIGKILL at chosen points of a drill (a step in flight that is safe to
 * repeat, between steps, a step in flight that is not, after a passed attempt, in the cleanup, before the first
 * step, after run.finished, and resume itself killed), then `drillbook resume`. Every time: a step that had
 * finished never runs again, what resume may not repeat it refuses with the bundle untouched (and recover closes
 * the run), nothing is left running, and the record verifies and says PASS only when every step passed.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lines, type Line } from './journal-lines.js';
import { drillbook, isAlive, readRecord, workspace, writeScenario } from '../cli/support.js';


const counts = (dir: string): Record<string, number> => {
  const file = join(dir, 'ran');
  const seen: Record<string, number> = {};
  if (!existsSync(file)) return seen;
  for (const id of readFileSync(file, 'utf8').split('\n').filter(Boolean)) seen[id] = (seen[id] ?? 0) + 1;
  return seen;
};

function scenarioIn(dir: string): string {
  const ran = join(dir, 'ran');
  const script = "require('fs').appendFileSync(process.argv[1], process.argv[2] + '\\\\n'); setTimeout(() => {}, Number(process.argv[3]))";
  const step = (id: string, extra: string, hold = '0') => `  - { id: ${id}, uses: local, ${extra}run: [node, -e, "${script}", "${ran}", ${id}, "${hold}"] }\n`;
  return writeScenario(
    dir,
    'resume-campaign',
    `objectives: { rto: 10m }\nvars: { hold: "150" }\npreconditions:\n${step('ready', '')}steps:\n${step('first', 'marks: t0, ')}${step('again', 'idempotent: true, ', '${{ vars.hold }}')}${step('last', 'marks: recovered, ')}cleanup:\n${step('undo', '')}`,
  );
}

const onlyBundle = (store: string): string => join(store, 'resume-campaign', readdirSync(join(store, 'resume-campaign')).find((n) => n !== 'run.lock') ?? '');

/** The 1-based number of the journal line that matches. */
const lineOf = (all: Line[], type: string, stepId?: string, n = 1): number => {
  let seen = 0;
  const index = all.findIndex((l) => l.type === type && (stepId === undefined || l.data['stepId'] === stepId) && ++seen === n);
  if (index < 0) throw new Error(`no ${type} ${stepId ?? ''} in the probe run`);
  return index + 1;
};

/** The CLI with this workspace's own machine locks and run tickets, so no test sees another's. */
const inWorkspace =
  (dir: string) =>
  (args: string[], env: Record<string, string> = {}) =>
    drillbook(args, { env: { DRILLBOOK_LOCK_DIR: join(dir, 'locks'), ...env } });

type Expected = 'pass' | 'refused-not-idempotent' | 'refused-nothing-started' | 'refused-finished';

describe('resume campaign: kill -9 at chosen points of a drill, then resume', async () => {
  const probe = workspace();
  await drillbook(['run', scenarioIn(probe), '--store', join(probe, 'store')]);
  const all = lines(onlyBundle(join(probe, 'store')));
  const points: [string, number, Expected][] = [
    ['a precondition ran', lineOf(all, 'step.finished', 'ready'), 'refused-nothing-started'],
    ['first is in flight (not idempotent)', lineOf(all, 'process.started', 'first'), 'refused-not-idempotent'],
    ['first finished', lineOf(all, 'step.finished', 'first'), 'pass'],
    ['again is in flight (idempotent)', lineOf(all, 'process.started', 'again'), 'pass'],
    ['again has started, no process yet', lineOf(all, 'attempt.started', 'again'), 'pass'],
    ['last passed its attempt, its step not closed', lineOf(all, 'attempt.finished', 'last'), 'pass'],
    ['last is in flight (not idempotent)', lineOf(all, 'process.started', 'last'), 'refused-not-idempotent'],
    ['last finished, its recovered mark not yet written', lineOf(all, 'step.finished', 'last'), 'pass'],
    ['the cleanup is in flight', lineOf(all, 'process.started', 'undo'), 'pass'],
    ['run.finished is written', lineOf(all, 'run.finished'), 'refused-finished'],
  ];

  for (const [label, line, expected] of points) {
    it(`${label} (killed after line ${line}): ${expected}`, async () => {
      const dir = workspace();
      const cli = inWorkspace(dir);
      const store = join(dir, 'store');
      const key = join(dir, 'ops');
      await cli(['keys', 'generate', key]);
      const crashed = await cli(['run', scenarioIn(dir), '--store', store, '--var', 'hold=400', '--sign-key', `${key}.key`], { DRILLBOOK_FAULT: `kill-after-line:${line}` });
      expect(crashed.signal).toBe('SIGKILL');
      const bundle = onlyBundle(store);
      const journalAtCrash = readFileSync(join(bundle, 'journal.jsonl'));
      const atCrash = lines(bundle);
      const cutShort = (id: string) =>
        atCrash.some((l) => l.type === 'attempt.started' && l.data['stepId'] === id) && !atCrash.some((l) => l.type === 'attempt.finished' && l.data['stepId'] === id);
      // The process of a step cut short may still be running (it is not drillbook's child any more): only it may count on.
      const settled = (seen: Record<string, number>) => Object.fromEntries(Object.entries(seen).filter(([id]) => !cutShort(id)));
      const before = settled(counts(dir));

      // The next run of the scenario names both ways out.
      const blocked = await cli(['run', scenarioIn(dir), '--store', store]);
      expect(blocked.exitCode).toBe(4);
      expect(blocked.stderr).toContain(`drillbook resume ${bundle}`);
      expect(blocked.stderr).toContain(`drillbook recover ${bundle}`);

      const resumed = await cli(['resume', bundle, '--sign-key', `${key}.key`]);
      expect(resumed.stderr).not.toContain('    at ');
      if (expected !== 'pass') {
        expect(resumed.exitCode).toBe(4);
        expect(resumed.stderr).toContain(
          {
            'refused-not-idempotent': 'is not declared idempotent: running it again could repeat its side effect',
            'refused-nothing-started': 'the run stopped before its first step: there is nothing to resume',
            'refused-finished': 'the run finished: there is nothing to resume',
          }[expected],
        );
        expect(resumed.stderr).toContain(`drillbook recover ${bundle}`);
        // Refused before anything: the journal is as the crash left it, nothing ran again.
        expect(readFileSync(join(bundle, 'journal.jsonl'))).toEqual(journalAtCrash);
        expect(settled(counts(dir))).toEqual(before);
        const recovered = await cli(['recover', bundle, '--sign-key', `${key}.key`]);
        expect(recovered.exitCode).toBe(0);
        expect(readRecord(bundle).verdict).toBe(expected === 'refused-finished' ? 'PASS' : 'ABORTED');
      } else {
        expect(resumed.exitCode).toBe(0);
        const record = readRecord(bundle);
        expect(record.verdict).toBe('PASS');
        expect(record.endReason).toBe('completed');
        expect(record.resumes).toHaveLength(1);
        expect(record.resumes?.[0]?.gapMs).toBeGreaterThanOrEqual(0);
        expect(record.deviations.join('\n')).toMatch(/the run stopped after T\+\S+ \(its last journal entry\) and was resumed \S+ later by `drillbook resume` run by cli-test/);
        // RTO still measured from the first run's t0; the gap inside it is shown apart.
        expect(record.objectives.rto.status).toBe('met');
        const recoveredBeforeCrash = atCrash.some((l) => l.type === 'attempt.finished' && l.data['stepId'] === 'last');
        expect(record.objectives.rto.gapMs).toBe(recoveredBeforeCrash ? 0 : record.resumes?.[0]?.gapMs);
        const ran = counts(dir);
        for (const id of ['ready', 'first', 'again', 'last', 'undo']) {
          // A step whose process may have started before the kill may have run once more; no other runs twice.
          if (cutShort(id)) expect([1, 2]).toContain(ran[id]);
          else expect(ran[id]).toBe(1);
        }
        expect(record.steps.map((s) => [s.id, s.status])).toEqual([
          ['ready', 'passed'],
          ['first', 'passed'],
          ['again', 'passed'],
          ['last', 'passed'],
        ]);
        expect(record.cleanup.map((s) => s.status)).toEqual(['passed']);
        if (cutShort('again')) expect(record.resumes?.[0]?.retried).toEqual(['again']);
      }
      for (const pid of atCrash.filter((l) => l.type === 'process.started').map((l) => Number(l.data['pid']))) expect(isAlive(pid)).toBe(false);
      const verified = await cli(['verify', bundle, '--key', `${key}.pub`]);
      expect(verified.stdout).toMatch(/^VALID/m);
      expect(verified.exitCode).toBe(0);
      expect(existsSync(join(store, 'resume-campaign', 'run.lock'))).toBe(false);
    }, 60_000);
  }

  it('a journal cut short or rewritten after the crash is refused by resume and recover, even with its hash chain intact', async () => {
    const dir = workspace();
    const cli = inWorkspace(dir);
    const store = join(dir, 'store');
    const crashed = await cli(['run', scenarioIn(dir), '--store', store], { DRILLBOOK_FAULT: `kill-after-line:${lineOf(all, 'step.finished', 'first')}` });
    expect(crashed.signal).toBe('SIGKILL');
    const bundle = onlyBundle(store);
    const file = join(bundle, 'journal.jsonl');
    const whole = readFileSync(file, 'utf8');
    // Cut before the barrier that let `first` start its attempt: the chain of what is left is still sound.
    const kept = whole.split('\n').slice(0, lineOf(all, 'attempt.started', 'first') - 1);
    writeFileSync(file, `${kept.join('\n')}\n`);
    for (const command of ['resume', 'recover']) {
      const refused = await cli([command, bundle]);
      expect(refused.exitCode, command).toBe(4);
      expect(refused.stderr, command).toContain('is not the one this machine wrote: its line');
    }
    expect(counts(dir)['first']).toBe(1);
    writeFileSync(file, whole);
    expect((await cli(['resume', bundle])).exitCode).toBe(0);
    expect(readRecord(bundle).verdict).toBe('PASS');
  }, 60_000);

  it('resume itself killed while it runs the step again: a second resume finishes the drill', async () => {
    const dir = workspace();
    const cli = inWorkspace(dir);
    const store = join(dir, 'store');
    const key = join(dir, 'ops');
    await cli(['keys', 'generate', key]);
    const crashed = await cli(['run', scenarioIn(dir), '--store', store, '--var', 'hold=400', '--sign-key', `${key}.key`], { DRILLBOOK_FAULT: `kill-after-line:${lineOf(all, 'process.started', 'again')}` });
    expect(crashed.signal).toBe('SIGKILL');
    const bundle = onlyBundle(store);
    // resume.started, then process.stopped of the leftover, then the step again: killed once its process runs.
    const once = lines(bundle).length;
    const killedAgain = await cli(['resume', bundle], { DRILLBOOK_FAULT: `kill-after-line:${once + 6}` });
    expect(killedAgain.signal).toBe('SIGKILL');
    expect(lines(bundle).at(-1)?.type).toBe('process.started');
    const resumed = await cli(['resume', bundle, '--sign-key', `${key}.key`]);
    expect(resumed.exitCode).toBe(0);
    const record = readRecord(bundle);
    expect(record.verdict).toBe('PASS');
    expect(record.resumes?.map((r) => r.retried)).toEqual([['again'], ['again']]);
    expect(counts(dir)).toMatchObject({ first: 1, last: 1, undo: 1 });
    expect(record.steps.find((s) => s.id === 'again')?.attempts.map((a) => a.attempt)).toEqual([3]);
    expect((await cli(['verify', bundle, '--key', `${key}.pub`])).exitCode).toBe(0);
  }, 60_000);
});
