/**
 * A step never writes the run's own evidence or the scenario it runs: a canary file inside the bundle folder
 * or on the scenario file itself fails at once with DEST_UNSAFE, the scenario and the bundle stay as they were,
 * and the bundle seals and verifies.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { drillbook, readRecord, workspace, writeScenario } from './support.js';

function canaryInto(dir: string, file: string): string {
  return writeScenario(
    dir,
    'own-paths',
    `steps:
  - { id: markers, uses: canary.write, background: true, until: t0, with: { file: "${file}", interval: 50ms } }
  - { id: crash, uses: wait, with: { duration: 200ms }, marks: [t0] }
`,
  );
}

describe('paths a run keeps', () => {
  for (const [what, file] of [
    ['the bundle folder', 'out/markers.jsonl'],
    ['the scenario file', 'own-paths.yaml'],
  ] as const) {
    it(`a canary file in ${what} is refused, and nothing of the run is overwritten`, async () => {
      const dir = workspace();
      const scenario = canaryInto(dir, file);
      const before = readFileSync(scenario, 'utf8');
      const bundle = join(dir, 'out');
      const result = await drillbook(['run', scenario, '--out', bundle]);
      expect(result.stderr).not.toContain('    at ');
      expect(readFileSync(scenario, 'utf8')).toBe(before);
      const record = readRecord(bundle);
      const attempt = record.steps.find((s) => s.id === 'markers')?.attempts[0];
      expect(attempt?.code).toBe('DEST_UNSAFE');
      expect(attempt?.message).toMatch(/which this run keeps as evidence or runs from/);
      expect(record.verdict).not.toBe('PASS');
      const verified = await drillbook(['verify', bundle, '--threshold', '0']);
      expect(verified.exitCode).toBe(0);
    }, 60_000);
  }
});
