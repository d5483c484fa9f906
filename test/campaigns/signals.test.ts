/**
 * Signal campaign: SIGINT, SIGTERM, SIGHUP or SIGQUIT at random moments of a drill (preconditions, steps,
 * cleanup), once or repeated. Every time: the cleanup ran, the record is sealed (or, after a third signal
 * abandoned the cleanup, left for `recover`, which completes it), and no process of the run is left.
 * Seeded; DRILLBOOK_CAMPAIGN_RUNS sets the number of runs (default 8).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { drillbook, isAlive, readRecord, workspace, writeScenario } from '../cli/support.js';

const runs = Number(process.env['DRILLBOOK_CAMPAIGN_RUNS'] ?? 8) || 8;
const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;
const codes: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129, SIGQUIT: 131 };

function random(seedValue: number): () => number {
  let a = seedValue >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function scenarioIn(dir: string): string {
  const hold = (ms: number) => `[node, -e, "setTimeout(() => {}, ${ms})"]`;
  return writeScenario(
    dir,
    'signal-campaign',
    `preconditions:\n  - { id: ready, uses: local, run: ${hold(200)} }
steps:
  - { id: first, uses: local, run: ${hold(400)} }
  - { id: second, uses: local, run: ${hold(400)} }
cleanup:
  - id: undo
    uses: local
    run: [node, -e, "setTimeout(() => require('fs').appendFileSync(process.argv[1], 'undo\\\\n'), 300)", "${join(dir, 'cleanups')}"]
`,
  );
}

const journal = (bundle: string) =>
  readFileSync(join(bundle, 'journal.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { type: string; data: Record<string, unknown> });

describe('signal campaign', () => {
  const next = random(0x5161_2026);
  for (let i = 0; i < runs; i += 1) {
    const signal = signals[Math.floor(next() * signals.length)] as (typeof signals)[number];
    const delayMs = Math.floor(next() * 1600);
    const repeat = 1 + Math.floor(next() * 3);
    const gapMs = 50 + Math.floor(next() * 300);
    it(`${signal} ×${repeat} after ${delayMs} ms (${gapMs} ms apart)`, async () => {
      const dir = workspace();
      const store = join(dir, 'store');
      const child = drillbook(['run', scenarioIn(dir), '--store', store]);
      await new Promise((r) => setTimeout(r, delayMs));
      for (let k = 0; k < repeat; k += 1) {
        child.kill(signal);
        await new Promise((r) => setTimeout(r, gapMs));
      }
      const result = await child;
      expect(result.all).not.toContain('    at ');
      const folder = join(store, 'signal-campaign');
      const names = existsSync(folder) ? readdirSync(folder).filter((n) => n !== 'run.lock') : [];
      if (names.length === 0) {
        // The signal came before the run existed: nothing ran, nothing to clean up.
        expect(existsSync(join(dir, 'cleanups'))).toBe(false);
        return;
      }
      const bundle = join(folder, names[0] ?? '');
      if (!existsSync(join(bundle, 'record.json'))) {
        // A third signal abandoned the cleanup: recover finishes it.
        expect(repeat).toBe(3);
        const recovered = await drillbook(['recover', bundle]);
        expect(recovered.exitCode).toBe(0);
      } else {
        expect([0, 4, codes[signal]]).toContain(result.exitCode);
      }
      for (const e of journal(bundle).filter((x) => x.type === 'process.started')) expect(isAlive(Number(e.data['pid']))).toBe(false);
      const record = readRecord(bundle);
      const started = record.steps.some((s) => s.phase === 'steps' && s.status !== 'not-run');
      const cleanups = existsSync(join(dir, 'cleanups')) ? readFileSync(join(dir, 'cleanups'), 'utf8').split('\n').filter(Boolean).length : 0;
      if (started) {
        expect(record.cleanup[0]?.status).toBe('passed');
        expect(cleanups).toBeGreaterThanOrEqual(1);
        expect(cleanups).toBeLessThanOrEqual(2);
      } else expect(cleanups).toBe(0);
      expect((await drillbook(['verify', bundle, '--threshold', '0'])).exitCode).toBe(0);
      expect(existsSync(join(folder, 'run.lock'))).toBe(false);
    }, 60_000);
  }
});
