import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { drillbook, isAlive, readRecord, waitFor, workspace, writeScenario } from './support.js';

describe('drillbook run (built CLI)', () => {
  it('passes a local drill, measures RTO and writes the bundle', async () => {
    const dir = workspace();
    const file = writeScenario(
      dir,
      'quick-pass',
      `objectives: { rto: 1m }
steps:
  - id: disaster
    marks: t0
    uses: local
    run: [node, -e, "setTimeout(() => {}, 200)"]
  - id: back
    marks: recovered
    uses: local
    run: [node, -e, "console.log('healthy')"]
    expect: { stdout: healthy }
`,
    );
    const out = join(dir, 'bundle');
    const result = await drillbook(['run', file, '--out', out]);
    expect(result.all).toContain('verdict: PASS');
    expect(result.exitCode).toBe(0);
    const record = readRecord(out);
    expect(record.verdict).toBe('PASS');
    expect(record.operator).toBe('cli-test');
    expect(record.objectives.rto.status).toBe('met');
    expect(record.objectives.rto.achievedMs).toBeGreaterThanOrEqual(200);
    expect(record.steps.map((s) => [s.id, s.status])).toEqual([
      ['disaster', 'passed'],
      ['back', 'passed'],
    ]);
    expect(readdirSync(out).sort()).toEqual(
      expect.arrayContaining(['journal.jsonl', 'record.json', 'junit.xml', 'scenario.yaml', 'logs', 'drillbook.log']),
    );
    expect(readFileSync(join(out, 'logs', 'back', '1.stdout.log'), 'utf8')).toBe('healthy\n');
  });

  it('exits 1 with FAIL when the RTO is missed', async () => {
    const dir = workspace();
    const file = writeScenario(
      dir,
      'slow-recovery',
      `objectives: { rto: 100ms }
steps:
  - id: disaster
    marks: t0
    uses: local
    run: [node, -e, "setTimeout(() => {}, 300)"]
  - id: back
    marks: recovered
    uses: local
    run: [node, -e, "0"]
`,
    );
    const out = join(dir, 'bundle');
    const result = await drillbook(['run', file, '--out', out]);
    expect(result.exitCode).toBe(1);
    const record = readRecord(out);
    expect(record.verdict).toBe('FAIL');
    expect(record.verdictReasons).toEqual(['RTO missed']);
    expect(record.objectives.rto.status).toBe('missed');
  });

  it('a failing precondition exits 4 and has no side effect', async () => {
    const dir = workspace();
    const marker = join(dir, 'side-effect');
    const file = writeScenario(
      dir,
      'not-ready',
      `preconditions:
  - id: ready
    uses: local
    run: [node, -e, "process.exit(7)"]
steps:
  - id: touch
    uses: local
    run: [node, -e, "require('fs').writeFileSync(process.argv[1], 'x')", "${marker}"]
cleanup:
  - id: undo
    uses: local
    run: [node, -e, "require('fs').writeFileSync(process.argv[1], 'cleanup')", "${marker}"]
`,
    );
    const out = join(dir, 'bundle');
    const result = await drillbook(['run', file, '--out', out]);
    expect(result.exitCode).toBe(4);
    expect(existsSync(marker)).toBe(false);
    const record = readRecord(out);
    expect(record.endReason).toBe('precondition-failed');
    expect(record.verdict).toBe('INCONCLUSIVE');
    expect(record.steps.map((s) => [s.id, s.status])).toEqual([
      ['ready', 'failed'],
      ['touch', 'not-run'],
    ]);
  });

  it('SIGINT mid-step: the step is stopped, cleanup runs, ABORTED, exit 130', async () => {
    const dir = workspace();
    const pidFile = join(dir, 'pid');
    const marker = join(dir, 'cleaned');
    const file = writeScenario(
      dir,
      'interrupted',
      `steps:
  - id: long
    uses: local
    run: [node, -e, "require('fs').writeFileSync(process.argv[1], String(process.pid)); setTimeout(() => {}, 60000)", "${pidFile}"]
cleanup:
  - id: undo
    uses: local
    run: [node, -e, "require('fs').writeFileSync(process.argv[1], 'yes')", "${marker}"]
`,
    );
    const out = join(dir, 'bundle');
    const child = drillbook(['run', file, '--out', out]);
    await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8') !== '');
    const stepPid = Number(readFileSync(pidFile, 'utf8'));
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(130);
    expect(readFileSync(marker, 'utf8')).toBe('yes');
    expect(isAlive(stepPid)).toBe(false);
    const record = readRecord(out);
    expect(record.verdict).toBe('ABORTED');
    expect(record.signal).toBe('SIGINT');
    expect(record.steps[0]?.status).toBe('cancelled');
    expect(record.cleanup[0]?.status).toBe('passed');
  });

  it('SIGKILL mid-step: the next run refuses (exit 4) and recover finishes the run', async () => {
    const dir = workspace();
    const pidFile = join(dir, 'pid');
    const marker = join(dir, 'cleaned');
    const store = join(dir, 'store');
    const file = writeScenario(
      dir,
      'crashed',
      `steps:
  - id: long
    uses: local
    run: [node, -e, "require('fs').writeFileSync(process.argv[1], String(process.pid)); setTimeout(() => {}, 120000)", "${pidFile}"]
cleanup:
  - id: undo
    uses: local
    run: [node, -e, "require('fs').writeFileSync(process.argv[1], 'yes')", "${marker}"]
`,
    );
    const child = drillbook(['run', file, '--store', store]);
    await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8') !== '');
    const stepPid = Number(readFileSync(pidFile, 'utf8'));
    child.kill('SIGKILL');
    await child;
    expect(isAlive(stepPid)).toBe(true);
    const bundle = join(store, 'crashed', readdirSync(join(store, 'crashed')).find((n) => n !== 'run.lock') ?? '');

    const refused = await drillbook(['run', file, '--store', store]);
    expect(refused.exitCode).toBe(4);
    expect(refused.stderr).toContain(`drillbook recover ${bundle}`);

    const recovered = await drillbook(['recover', bundle]);
    expect(recovered.exitCode).toBe(0);
    expect(isAlive(stepPid)).toBe(false);
    expect(readFileSync(marker, 'utf8')).toBe('yes');
    const record = readRecord(bundle);
    expect(record.verdict).toBe('ABORTED');
    expect(record.endReason).toBe('crashed');
    expect(record.steps[0]?.status).toBe('cancelled');
    expect(record.cleanup[0]?.status).toBe('passed');
    expect(existsSync(join(store, 'crashed', 'run.lock'))).toBe(false);
  }, 60_000);
});
