import { describe, expect, it } from 'vitest';
import { renderSummary } from '../../src/cli/summary.js';
import { renderHtml } from '../../src/evidence/render-html.js';
import { runFinishedEvent } from '../../src/notify/from-run.js';
import { renderPayload } from '../../src/notify/payloads.js';
import { group, scenario, simulate, step } from './support.js';

const statuses = (steps: { id: string; status: string }[]) => Object.fromEntries(steps.map((s) => [s.id, s.status]));

describe('engine: order, timing and verdicts (simulated clock)', () => {
  it('measures RTO from the start of t0 to the end of the passing recovered attempt', async () => {
    const run = simulate(
      scenario({
        objectives: { rtoMs: 10_000 },
        steps: [
          step('prepare', [{ ms: 500 }]),
          step('disaster', [{ ms: 2000 }], { marks: ['t0'] }),
          step('failover', [{ ms: 3000 }]),
          step('probe', [{ ms: 1500 }], { marks: ['recovered'] }),
        ],
        cleanup: [step('failback', [{ ms: 700 }])],
      }),
    );
    const record = await run.record();
    expect(record.verdict).toBe('PASS');
    expect(record.endReason).toBe('completed');
    expect(record.objectives.rto).toEqual({
      status: 'met',
      targetMs: 10_000,
      achievedMs: 6500,
      basis: 'start of the t0 step to the end of the passing attempt of the recovered step',
    });
    expect(record.durationMs).toBe(7700);
    expect(run.calls).toEqual(['prepare#1', 'disaster#1', 'failover#1', 'probe#1', 'failback#1']);
    expect(statuses(record.cleanup)).toEqual({ failback: 'passed' });
    expect(record.marks.t0?.stepId).toBe('disaster');
    expect(record.marks.t0?.at).toBe('2026-01-01T00:00:00.500Z');
  });

  it('fails on a missed RTO', async () => {
    const run = simulate(
      scenario({
        objectives: { rtoMs: 1000 },
        steps: [step('disaster', [{ ms: 800 }], { marks: ['t0'] }), step('probe', [{ ms: 900 }], { marks: ['recovered'] })],
      }),
    );
    const record = await run.record();
    expect(record.objectives.rto.status).toBe('missed');
    expect(record.objectives.rto.achievedMs).toBe(1700);
    expect(record.verdict).toBe('FAIL');
    expect(record.verdictReasons).toEqual(['RTO missed']);
  });

  it('retries with a fixed backoff and records every attempt', async () => {
    const run = simulate(
      scenario({
        steps: [
          step('flaky', [{ ms: 100, exitCode: 1 }, { ms: 100, exitCode: 2 }, { ms: 100 }], {
            retry: { attempts: 3, backoffMs: 5000 },
          }),
        ],
      }),
    );
    const record = await run.record();
    const flaky = record.steps[0];
    expect(flaky?.status).toBe('passed');
    expect(flaky?.attempts.map((a) => [a.attempt, a.status, a.exitCode, a.message])).toEqual([
      [1, 'failed', 1, 'exit code 1, expected 0'],
      [2, 'failed', 2, 'exit code 2, expected 0'],
      [3, 'passed', 0, undefined],
    ]);
    expect(flaky?.durationMs).toBe(10_300);
    expect(record.verdict).toBe('PASS');
  });

  it('times out an attempt, stops it, fails the step, runs cleanup', async () => {
    const run = simulate(
      scenario({
        steps: [step('hang', [{ ms: 3_600_000 }], { timeoutMs: 30_000 }), step('never', [{ ms: 1 }])],
        cleanup: [step('undo', [{ ms: 10 }])],
      }),
    );
    const record = await run.record();
    expect(statuses(record.steps)).toEqual({ hang: 'failed', never: 'not-run' });
    expect(record.steps[0]?.reason).toBe('timeout');
    expect(record.steps[0]?.message).toBe('timed out after 30s');
    expect(record.steps[0]?.attempts[0]?.durationMs).toBe(30_000);
    expect(statuses(record.cleanup)).toEqual({ undo: 'passed' });
    expect(record.verdict).toBe('FAIL');
    expect(record.endReason).toBe('step-failed');
    expect(run.calls).toEqual(['hang#1', 'undo#1']);
  });

  it('PARTIAL when only a continueOnError step fails', async () => {
    const run = simulate(
      scenario({
        steps: [step('optional', [{ ms: 10, exitCode: 3 }], { continueOnError: true }), step('main', [{ ms: 10 }])],
        cleanup: [step('undo', [{ ms: 10 }])],
      }),
    );
    const record = await run.record();
    expect(statuses(record.steps)).toEqual({ optional: 'failed', main: 'passed' });
    expect(record.verdict).toBe('PARTIAL');
    expect(record.verdictReasons).toEqual(['step optional failed: exit code 3, expected 0']);
    expect(record.cleanupIncomplete).toBeUndefined();
  });

  it('FAIL, never a mild verdict, when a cleanup step fails: the later ones still run and the record lists what to do by hand', async () => {
    const run = simulate(
      scenario({
        steps: [step('main', [{ ms: 10 }])],
        cleanup: [step('failback', [{ ms: 10, exitCode: 1 }], { run: ['systemctl', 'start', 'postgresql'] }), step('undo2', [{ ms: 10 }])],
      }),
    );
    const record = await run.record();
    expect(statuses(record.cleanup)).toEqual({ failback: 'failed', undo2: 'passed' });
    expect(record.verdict).toBe('FAIL');
    expect(record.verdictReasons).toEqual(['cleanup failback failed: the environment may be inconsistent']);
    expect(record.cleanupIncomplete).toEqual([
      { stepId: 'failback', status: 'failed', uses: 'script', command: ['systemctl', 'start', 'postgresql'], message: 'exit code 1, expected 0' },
    ]);
    const summary = renderSummary(record, '/bundle', undefined);
    expect(summary.split('\n').slice(0, 4)).toEqual([
      '!! CLEANUP INCOMPLETE: the environment may be inconsistent (a failover not undone, a service still stopped).',
      '!! Finish these cleanup steps by hand:',
      '!!   failback (script): failed: exit code 1, expected 0',
      '!!     systemctl start postgresql',
    ]);
    const html = renderHtml(record);
    expect(html).toContain('<div class="alert" role="alert" id="cleanup-incomplete"><strong>Cleanup incomplete: the environment may be inconsistent.</strong>');
    const payload = renderPayload(runFinishedEvent(record, '/bundle', false), 'slack', '2026-01-01T00:00:00Z') as { text: string };
    expect(payload.text).toBe('drillbook: engine-test FAIL — CLEANUP INCOMPLETE');
  });

  it('a failing precondition stops before any side effect and skips cleanup', async () => {
    const run = simulate(
      scenario({
        preconditions: [step('healthy', [{ ms: 10, exitCode: 1 }])],
        steps: [step('disaster', [{ ms: 10 }])],
        cleanup: [step('undo', [{ ms: 10 }])],
      }),
    );
    const record = await run.record();
    expect(run.calls).toEqual(['healthy#1']);
    expect(record.endReason).toBe('precondition-failed');
    expect(record.verdict).toBe('INCONCLUSIVE');
    expect(statuses(record.cleanup)).toEqual({ undo: 'not-run' });
  });

  it('an interrupt cancels the running step, runs cleanup and ends ABORTED', async () => {
    const run = simulate(
      scenario({
        steps: [step('long', [{ ms: 100_000 }]), step('after', [{ ms: 10 }])],
        cleanup: [step('undo', [{ ms: 10 }])],
      }),
    );
    run.clock.setTimeout(() => run.handle.interrupt('SIGINT'), 5000);
    const record = await run.record();
    expect(record.verdict).toBe('ABORTED');
    expect(record.endReason).toBe('signal');
    expect(record.signal).toBe('SIGINT');
    expect(statuses(record.steps)).toEqual({ long: 'cancelled', after: 'not-run' });
    expect(statuses(record.cleanup)).toEqual({ undo: 'passed' });
    expect(run.events.map((e) => e.type).at(-1)).toBe('run.finished');
  });

  it('the deadline ends the run ABORTED and cleanup still runs', async () => {
    const run = simulate(
      scenario({
        deadlineMs: 10_000,
        steps: [step('a', [{ ms: 6000 }]), step('b', [{ ms: 6000 }])],
        cleanup: [step('undo', [{ ms: 10 }])],
      }),
    );
    const record = await run.record();
    expect(record.endReason).toBe('deadline');
    expect(record.verdict).toBe('ABORTED');
    expect(statuses(record.steps)).toEqual({ a: 'passed', b: 'cancelled' });
    expect(statuses(record.cleanup)).toEqual({ undo: 'passed' });
  });

  it('a failing member of a fail-fast group cancels its siblings', async () => {
    const run = simulate(
      scenario({
        steps: [group('both', [step('fast-fail', [{ ms: 100, exitCode: 1 }]), step('slow', [{ ms: 50_000 }])]), step('next')],
        cleanup: [step('undo', [{ ms: 10 }])],
      }),
    );
    const record = await run.record();
    expect(statuses(record.steps)).toEqual({ 'fast-fail': 'failed', slow: 'cancelled', next: 'not-run' });
    expect(record.steps[1]?.group).toBe('both');
    expect(record.verdict).toBe('FAIL');
    expect(record.durationMs).toBeLessThan(1000);
  });

  it('without failFast every member runs to its end, in parallel', async () => {
    const run = simulate(
      scenario({
        steps: [group('both', [step('x', [{ ms: 100, exitCode: 1 }]), step('y', [{ ms: 5000 }])], false), step('next')],
      }),
    );
    const record = await run.record();
    expect(statuses(record.steps)).toEqual({ x: 'failed', y: 'passed', next: 'not-run' });
    expect(record.durationMs).toBe(5000);
  });

  it('a background step runs from its start until its mark, then passes', async () => {
    const run = simulate(
      scenario({
        steps: [
          step('writer', [{ ms: 3_600_000 }], { background: true, until: 't0' }),
          step('warm-up', [{ ms: 4000 }]),
          step('disaster', [{ ms: 1000 }], { marks: ['t0'] }),
          step('probe', [{ ms: 1000 }], { marks: ['recovered'] }),
        ],
      }),
    );
    const record = await run.record();
    const writer = record.steps.find((s) => s.id === 'writer');
    expect(writer?.status).toBe('passed');
    expect(writer?.background).toBe(true);
    expect(writer?.durationMs).toBe(4000);
    expect(record.verdict).toBe('PASS');
  });

  it('passes outputs to later steps as data and takes RPO from an output', async () => {
    const run = simulate(
      scenario({
        objectives: { rpoMs: 60_000, rpoFrom: { stepId: 'measure', output: 'lag' } },
        steps: [
          step('measure', [{ ms: 10, stdout: 'lag=42000\n' }], { outputs: { lag: { stdout: 'lag=(\\d+)' } } }),
          step('use', [{ ms: 10 }], { run: ['echo', 'lag is ${{ steps.measure.outputs.lag }}; rm -rf /'] }),
        ],
      }),
    );
    const record = await run.record();
    expect(record.steps[0]?.outputs).toEqual({ lag: '42000' });
    expect(record.steps[1]?.argvResolved).toEqual(['echo', 'lag is 42000; rm -rf /']);
    expect(record.objectives.rpo).toEqual({ status: 'met', targetMs: 60_000, achievedMs: 42_000, basis: 'measured by measure.lag' });
  });

  it('INCONCLUSIVE when an objective with a target was not measured', async () => {
    const run = simulate(
      scenario({
        objectives: { rpoMs: 60_000, rpoFrom: { stepId: 'measure', output: 'lag' } },
        steps: [step('measure', [{ ms: 10, stdout: 'nothing' }], { outputs: { lag: { stdout: 'lag=(\\d+)' } }, continueOnError: true })],
      }),
    );
    const record = await run.record();
    expect(record.objectives.rpo.status).toBe('not-measured');
    expect(record.verdict).toBe('PARTIAL');
    expect(record.verdictReasons).toEqual([
      'step measure failed: output lag: stdout does not match /lag=(\\d+)/',
      'RPO not measured',
    ]);
  });

  it('a production run that is not confirmed does nothing and ends ABORTED', async () => {
    const run = simulate(
      scenario({ environment: 'production', steps: [step('disaster')], cleanup: [step('undo')] }),
      { confirm: () => Promise.resolve(false) },
    );
    const record = await run.record();
    expect(run.calls).toEqual([]);
    expect(record.endReason).toBe('not-confirmed');
    expect(record.verdict).toBe('ABORTED');
  });

  it('secrets never reach the journal or the record', async () => {
    const run = simulate(
      scenario({
        secrets: { TOKEN: { env: 'TOKEN' } },
        steps: [step('use', [{ ms: 10, exitCode: 1 }], { run: ['curl', '-H', 'Authorization: ${{ secrets.TOKEN }}'] })],
      }),
      { secrets: { TOKEN: 's3cr3t-value' } },
    );
    const record = await run.record();
    expect(record.steps[0]?.argvResolved).toEqual(['curl', '-H', 'Authorization: ***']);
    expect(record.steps[0]?.argv).toEqual(['curl', '-H', 'Authorization: ${{ secrets.TOKEN }}']);
    expect(JSON.stringify(run.events)).not.toContain('s3cr3t-value');
  });
});
