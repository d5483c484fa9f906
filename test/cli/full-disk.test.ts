/**
 * A full disk never loses a run: the bundle on a small tmpfs fills at different points of a drill (step logs,
 * journal, sealing). Every time: a documented exit code and a one-line cause (no stack trace), the cleanup
 * ran exactly once, the lock kept while the evidence is incomplete, and once space is back `recover`
 * completes and seals a bundle that verifies.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { drillbook, readRecord, workspace, writeScenario } from './support.js';

const mounts: string[] = [];
afterEach(async () => {
  for (const mount of mounts.splice(0)) await execa('umount', [mount], { reject: false });
});

async function tmpfs(dir: string, size: string): Promise<string> {
  const mount = join(dir, 'disk');
  mkdirSync(mount);
  await execa('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', mount]);
  mounts.push(mount);
  return mount;
}

/** Two steps that print `kib` KiB each, a cleanup that appends one line per run to a file off the tmpfs. */
function noisy(dir: string, kib: number): { file: string; cleanups: string } {
  const cleanups = join(dir, 'cleanups.txt');
  const print = `process.stdout.write('x'.repeat(${kib * 1024}))`;
  const file = writeScenario(
    dir,
    'full-disk',
    `steps:
  - { id: first, uses: local, run: [node, -e, "${print}"] }
  - { id: second, uses: local, run: [node, -e, "${print}"] }
cleanup:
  - id: undo
    uses: local
    run: [node, -e, "require('fs').appendFileSync(process.argv[1], 'ran\\\\n')", "${cleanups}"]
`,
  );
  return { file, cleanups };
}

const runsOfCleanup = (file: string): number => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0);

describe('a full disk under the evidence store', () => {
  it('a store that cannot take the first write is refused before anything runs (exit 4)', async () => {
    const dir = workspace();
    const disk = await tmpfs(dir, '4k');
    await execa('dd', ['if=/dev/zero', `of=${join(disk, 'fill')}`, 'bs=4k', 'count=64'], { reject: false });
    const { file, cleanups } = noisy(dir, 1);
    const result = await drillbook(['run', file, '--store', disk]);
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toMatch(/^drillbook: the run lock \S+ cannot be written \(ENOSPC\)\n {2}hint: free space/);
    expect(result.stderr).not.toContain('    at ');
    expect(runsOfCleanup(cleanups)).toBe(0);
  });

  // Sizes chosen (measured) so that the disk fills in a step's log, in the journal's last lines, while sealing, or never.
  const outcomes = new Set<string>();
  for (const [size, kib] of [
    ['48k', 64],
    ['96k', 80],
    ['128k', 48],
    ['160k', 64],
    ['200k', 80],
    ['256k', 48],
  ] as const) {
    it(`tmpfs ${size}, steps printing ${kib} KiB: never a lost run, never a stack trace`, async () => {
      const dir = workspace();
      const disk = await tmpfs(dir, size);
      const { file, cleanups } = noisy(dir, kib);
      const result = await drillbook(['run', file, '--store', disk]);
      expect(result.stderr).not.toContain('    at ');
      expect([0, 7]).toContain(result.exitCode);
      const bundle = join(disk, 'full-disk', readdirSync(join(disk, 'full-disk')).find((n) => n !== 'run.lock') ?? '');
      expect(runsOfCleanup(cleanups)).toBe(1);
      if (result.exitCode === 7) {
        expect(result.stderr).toMatch(/drillbook: evidence could not be written: .*ENOSPC/);
        expect(result.stderr).toContain(`drillbook recover ${bundle}`);
        // The lock is kept: a new run is told to recover first.
        const refused = await drillbook(['run', file, '--store', disk]);
        expect(refused.exitCode).toBe(4);
        expect(refused.stderr).toContain(`drillbook recover ${bundle}`);
        await execa('mount', ['-o', 'remount,size=64m', disk]);
        const recovered = await drillbook(['recover', bundle]);
        expect(recovered.stderr).not.toContain('    at ');
        expect(recovered.exitCode).toBe(0);
      }
      expect(runsOfCleanup(cleanups)).toBe(1);
      const verified = await drillbook(['verify', bundle, '--threshold', '0']);
      expect(verified.exitCode).toBe(0);
      const record = readRecord(bundle);
      expect(record.cleanup.map((s) => s.status)).toEqual(['passed']);
      outcomes.add(record.verdict === 'ABORTED' ? 'stopped during the steps' : result.exitCode === 7 ? 'sealed later' : 'not full');
      if (record.verdict === 'ABORTED') {
        // The disk filled during the steps: they were stopped, the cleanup ran.
        expect(record.endReason).toBe('write-failed');
        expect(record.deviations.join('\n')).toMatch(/evidence write failed: .*ENOSPC/);
      } else {
        // The drill itself passed; only its first sealing failed, and the record says so.
        expect(record.verdict).toBe('PASS');
        if (result.exitCode === 7) expect(record.deviations.join('\n')).toMatch(/sealed later by `drillbook recover`/);
      }
      expect(existsSync(join(disk, 'full-disk', 'run.lock'))).toBe(false);
    }, 60_000);
  }

  it('the sizes above filled the disk at every point they are meant to', () => {
    expect([...outcomes].sort()).toEqual(['not full', 'sealed later', 'stopped during the steps']);
  });
});
