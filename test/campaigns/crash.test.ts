/**
 * Crash campaign: the CLI is killed with SIGKILL right after each journal line of a drill (the barriers
 * before each side effect, inside the steps, in cleanup, after run.finished) and while sealing; then
 * `drillbook recover`. Every time: the cleanup ran with the run's own inputs, exactly once (twice only for
 * a cleanup step whose own attempt the crash cut short), no process of the run is left, the record
 * verifies, and its verdict says what happened. DRILLBOOK_CAMPAIGN_RUNS=0 kills at every line.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { drillbook, isAlive, readRecord, workspace, writeScenario } from '../cli/support.js';

/** Live processes whose environment carries one of the run tokens. */
function processesWithTokens(tokens: readonly string[]): number[] {
  if (tokens.length === 0) return [];
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        const env = readFileSync(`/proc/${pid}/environ`, 'latin1');
        return tokens.some((token) => env.includes(`DRILLBOOK_RUN_TOKEN=${token}`)) && isAlive(Number(pid));
      } catch {
        return false;
      }
    })
    .map(Number);
}

const counter = (dir: string): string[] => (existsSync(join(dir, 'cleanups')) ? readFileSync(join(dir, 'cleanups'), 'utf8').split('\n').filter(Boolean) : []);

function scenarioIn(dir: string): string {
  const append = (id: string) =>
    `  - id: ${id}\n    uses: local\n    run: [node, -e, "require('fs').appendFileSync(process.argv[1], process.argv[2] + ' ' + process.argv[3] + '\\\\n')", "${join(dir, 'cleanups')}", ${id}, "\${{ vars.out }}"]\n`;
  const hold = (id: string) => `  - id: ${id}\n    uses: local\n    run: [node, -e, "setTimeout(() => {}, Number(process.argv[1]))", "\${{ vars.hold }}"]\n`;
  return writeScenario(dir, 'crash-campaign', `vars: { out: default-value, hold: "150" }\nsteps:\n${hold('first')}${hold('second')}cleanup:\n${append('undo-a')}${append('undo-b')}`);
}

const lines = (bundle: string): { type: string; data: Record<string, unknown> }[] =>
  readFileSync(join(bundle, 'journal.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { type: string; data: Record<string, unknown> });

const onlyBundle = (store: string): string => join(store, 'crash-campaign', readdirSync(join(store, 'crash-campaign')).find((n) => n !== 'run.lock') ?? '');

describe('crash campaign: kill -9 at every point of a drill, then recover', async () => {
  // One run without faults tells how many journal lines a drill writes.
  const probe = workspace();
  const file = scenarioIn(probe);
  await drillbook(['run', file, '--store', join(probe, 'store'), '--var', 'out=chosen']);
  const total = lines(onlyBundle(join(probe, 'store'))).length;
  const wanted = Number(process.env['DRILLBOOK_CAMPAIGN_RUNS'] ?? 8);
  const every = Array.from({ length: total }, (_, i) => i + 1);
  const points = wanted === 0 || wanted >= total ? every : [...new Set(Array.from({ length: wanted }, (_, i) => every[Math.round((i * (total - 1)) / Math.max(1, wanted - 1))] as number))];

  for (const fault of [...points.map((n) => `kill-after-line:${n}`), 'kill-while-sealing']) {
    it(`${fault} of ${total}`, async () => {
      const dir = workspace();
      const store = join(dir, 'store');
      const key = join(dir, 'ops');
      await drillbook(['keys', 'generate', key]);
      const crashed = await drillbook(['run', scenarioIn(dir), '--store', store, '--var', 'out=chosen', '--sign-key', `${key}.key`], { env: { DRILLBOOK_FAULT: fault } });
      expect(crashed.signal).toBe('SIGKILL');
      const bundle = onlyBundle(store);
      const atCrash = lines(bundle);
      const pids = atCrash.filter((e) => e.type === 'process.started').map((e) => Number(e.data['pid']));
      const sideEffects = atCrash.some((e) => e.type === 'step.started' && e.data['phase'] === 'steps');
      const finished = atCrash.some((e) => e.type === 'run.finished');
      const cutShort = (id: string) =>
        atCrash.some((e) => e.type === 'attempt.started' && e.data['stepId'] === id) && !atCrash.some((e) => e.type === 'attempt.finished' && e.data['stepId'] === id);

      const recovered = await drillbook(['recover', bundle, '--sign-key', `${key}.key`]);
      expect(recovered.stderr).toBe('');
      expect(recovered.stderr).not.toContain('    at ');
      expect(recovered.exitCode).toBe(0);
      for (const pid of pids) expect(isAlive(pid)).toBe(false);
      // Also those whose start was announced but whose pid never reached the journal.
      const tokens = atCrash.filter((e) => e.type === 'process.starting').map((e) => String(e.data['runToken']));
      expect(processesWithTokens(tokens)).toEqual([]);
      const verified = await drillbook(['verify', bundle, '--key', `${key}.pub`]);
      expect(verified.exitCode).toBe(0);

      const runs = counter(dir);
      expect(runs.every((line) => line.endsWith(' chosen'))).toBe(true);
      for (const id of ['undo-a', 'undo-b']) {
        const count = runs.filter((line) => line.startsWith(`${id} `)).length;
        if (!sideEffects) expect(count).toBe(0);
        else if (cutShort(id)) expect([1, 2]).toContain(count);
        else expect(count).toBe(1);
      }
      const record = readRecord(bundle);
      if (finished) {
        expect(record.verdict).toBe('PASS');
        expect(record.deviations.join('\n')).toContain('sealed later by `drillbook recover`');
      } else {
        expect([record.verdict, record.endReason]).toEqual(['ABORTED', 'crashed']);
        expect(record.cleanup.map((s) => s.status)).toEqual(sideEffects ? ['passed', 'passed'] : ['not-run', 'not-run']);
      }
      expect(existsSync(join(store, 'crash-campaign', 'run.lock'))).toBe(false);
    }, 60_000);
  }
});
