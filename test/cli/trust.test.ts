/**
 * What a hostile tester tried against the run pipeline, each now refused or made honest: planted and edited
 * bundles, recovery with other inputs or while the disk is still full, locks with reused pids or lost
 * bundles, logs edited before the seal, raw digests that would let a secret be guessed, short numeric
 * secrets, a signal during the cleanup, a bundle folder another user could swap.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { drillbook, isAlive, readRecord, waitFor, workspace, writeScenario } from './support.js';

/** A step that holds (writing its pid) and a cleanup that writes a marker file. */
function holding(dir: string, name: string): { file: string; pidFile: string; marker: string } {
  const pidFile = join(dir, `${name}.pid`);
  const marker = join(dir, `${name}.cleaned`);
  const file = writeScenario(
    dir,
    name,
    `inheritEnv: [TRUST_TEST_TARGET]
steps:
  - id: long
    uses: local
    run: [node, -e, "require('fs').writeFileSync(process.argv[1], String(process.pid)); setTimeout(() => {}, 60000)", "${pidFile}"]
cleanup:
  - id: undo
    uses: local
    run: [node, -e, "require('fs').writeFileSync(process.argv[1], 'cleaned')", "${marker}"]
`,
  );
  return { file, pidFile, marker };
}

async function crash(args: string[], pidFile: string, env: Record<string, string> = {}): Promise<number> {
  const child = drillbook(args, { env });
  await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8') !== '');
  const pid = Number(readFileSync(pidFile, 'utf8'));
  child.kill('SIGKILL');
  await child;
  return pid;
}

const bundleIn = (store: string, id: string): string => join(store, id, readdirSync(join(store, id)).find((n) => n !== 'run.lock') ?? '');

/** Rewrite a journal's lines with a changed first line, the hash chain recomputed: what an attacker can do. */
function rechain(journal: string, change: (first: Record<string, unknown>) => void): void {
  const lines = readFileSync(journal, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  change(lines[0] as Record<string, unknown>);
  let prev = '0'.repeat(64);
  const out = lines.map((entry) => {
    const text = JSON.stringify({ ...entry, prev });
    prev = createHash('sha256').update(text).digest('hex');
    return text;
  });
  writeFileSync(journal, `${out.join('\n')}\n`);
}

describe('recover trusts only what this machine started', () => {
  it('refuses a bundle whose journal and scenario were rewritten consistently (nothing runs), and one planted in the store', async () => {
    const dir = workspace();
    const store = join(dir, 'store');
    const { file, pidFile, marker } = holding(dir, 'edited-bundle');
    const pid = await crash(['run', file, '--store', store], pidFile);
    const bundle = bundleIn(store, 'edited-bundle');
    const scenario = join(bundle, 'scenario.yaml');
    writeFileSync(scenario, readFileSync(scenario, 'utf8').replace(`"${marker}"`, `"${join(dir, 'pwned')}"`));
    rechain(join(bundle, 'journal.jsonl'), (first) => {
      (first['data'] as Record<string, unknown>)['scenarioSha256'] = createHash('sha256').update(readFileSync(scenario)).digest('hex');
    });
    const refused = await drillbook(['recover', bundle]);
    expect(refused.exitCode).toBe(4);
    expect(refused.stderr).toContain('the bundle is not the one this machine started as run');
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
    expect(isAlive(pid)).toBe(true);
    process.kill(pid, 'SIGKILL');

    // A run this machine never started, planted with a stale store lock pointing at it.
    const planted = join(store, 'planted', '20260101T000000Z-abcdef');
    mkdirSync(planted, { recursive: true });
    writeFileSync(join(planted, 'scenario.yaml'), readFileSync(file, 'utf8').replace('id: edited-bundle', 'id: planted'));
    const started = { runId: '20260101T000000Z-abcdef', scenarioId: 'planted', scenarioFile: 'scenario.yaml', scenarioSha256: createHash('sha256').update(readFileSync(join(planted, 'scenario.yaml'))).digest('hex'), operator: 'x', host: hostname(), pid: 1, tool: { name: 'drillbook', version: '0', node: 'v20', platform: 'linux' }, vars: {}, t: 0 };
    writeFileSync(join(planted, 'journal.jsonl'), `${JSON.stringify({ seq: 1, at: '2026-01-01T00:00:00.000Z', prev: '0'.repeat(64), type: 'run.started', data: started })}\n`);
    rechain(join(planted, 'journal.jsonl'), () => undefined);
    const plantedRun = await drillbook(['recover', planted]);
    expect(plantedRun.exitCode).toBe(4);
    expect(plantedRun.stderr).toContain('this machine did not start run 20260101T000000Z-abcdef');
    expect(plantedRun.stderr).toContain('--trust-bundle');
  }, 60_000);

  it('a crashed run written with --out is recovered in its own store', async () => {
    const dir = workspace();
    const { file, pidFile, marker } = holding(dir, 'out-bundle');
    const out = join(dir, 'elsewhere', 'bundle');
    const pid = await crash(['run', file, '--store', join(dir, 'store'), '--out', out], pidFile);
    const refused = await drillbook(['run', file, '--store', join(dir, 'store')]);
    expect(refused.exitCode).toBe(4);
    expect(refused.stderr).toContain(`drillbook recover ${out}`);
    const recovered = await drillbook(['recover', out]);
    expect(recovered.exitCode).toBe(0);
    expect(isAlive(pid)).toBe(false);
    expect(readFileSync(marker, 'utf8')).toBe('cleaned');
    expect(existsSync(join(dir, 'store', 'out-bundle', 'run.lock'))).toBe(false);
  }, 60_000);

  it('refuses to recover when a variable the steps inherit changed since the run started', async () => {
    const dir = workspace();
    const store = join(dir, 'store');
    const { file, pidFile } = holding(dir, 'env-changed');
    const pid = await crash(['run', file, '--store', store], pidFile, { TRUST_TEST_TARGET: 'cluster-a' });
    const bundle = bundleIn(store, 'env-changed');
    const refused = await drillbook(['recover', bundle], { env: { TRUST_TEST_TARGET: 'cluster-b' } });
    expect(refused.exitCode).toBe(4);
    expect(refused.stderr).toContain('environment variable TRUST_TEST_TARGET: it is not what it was when the run started');
    expect(refused.all).not.toContain('cluster-a');
    expect(isAlive(pid)).toBe(true);
    expect((await drillbook(['recover', bundle], { env: { TRUST_TEST_TARGET: 'cluster-a' } })).exitCode).toBe(0);
    expect(isAlive(pid)).toBe(false);
  }, 60_000);
});

describe('locks', () => {
  it('a lock whose pid now belongs to another process is stale; one whose bundle cannot be found is not broken silently', async () => {
    const dir = workspace();
    const store = join(dir, 'store');
    const file = writeScenario(dir, 'lock-pid', 'steps:\n  - { id: one, uses: local, run: ["true"] }\n');
    mkdirSync(join(store, 'lock-pid'), { recursive: true });
    // This test process is alive, but it was not started at the time the lock says.
    const reused = { runId: 'old-run', pid: process.pid, pidStartTime: '1', host: hostname(), bundle: '', startedAt: '2026-01-01T00:00:00.000Z' };
    writeFileSync(join(store, 'lock-pid', 'run.lock'), JSON.stringify(reused));
    expect((await drillbook(['run', file, '--store', store])).exitCode).toBe(0);

    writeFileSync(join(store, 'lock-pid', 'run.lock'), JSON.stringify({ ...reused, bundle: join(dir, 'unmounted', 'bundle') }));
    const refused = await drillbook(['run', file, '--store', store]);
    expect(refused.exitCode).toBe(4);
    expect(refused.stderr).toContain(`its bundle ${join(dir, 'unmounted', 'bundle')} cannot be found`);
  }, 60_000);

  it('recover while the disk is still full keeps the crashed run’s locks', async () => {
    const dir = workspace();
    const disk = join(dir, 'disk');
    mkdirSync(disk);
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=48k,mode=0755', 'tmpfs', disk]);
    try {
      const file = writeScenario(dir, 'still-full', `steps:\n  - { id: noisy, uses: local, run: [node, -e, "process.stdout.write('x'.repeat(65536))"] }\n`);
      expect((await drillbook(['run', file, '--store', disk])).exitCode).toBe(7);
      const bundle = bundleIn(disk, 'still-full');
      await execa('dd', ['if=/dev/zero', `of=${join(disk, 'filler')}`, 'bs=4k', 'count=64'], { reject: false });
      const early = await drillbook(['recover', bundle]);
      expect([4, 7]).toContain(early.exitCode);
      expect(existsSync(join(disk, 'still-full', 'run.lock'))).toBe(true);
      const elsewhere = await drillbook(['run', file, '--store', join(dir, 'other')]);
      expect(elsewhere.exitCode).toBe(4);
      rmSync(join(disk, 'filler'));
      await execa('mount', ['-o', 'remount,size=64m', disk]);
      expect((await drillbook(['recover', bundle])).exitCode).toBe(0);
    } finally {
      await execa('umount', [disk]);
    }
  }, 60_000);
});

describe('evidence that cannot lie', () => {
  it('a log edited between its step and the seal is refused; a redacted stream keeps no raw digest', async () => {
    const dir = workspace();
    const file = writeScenario(
      dir,
      'log-edit',
      `secrets: { pin: { env: TRUST_TEST_PIN } }
steps:
  - { id: check, uses: local, run: [sh, -c, 'echo "checksum mismatch: 3 tables corrupt, pin $1"', sh, "\${{ secrets.pin }}"] }
cleanup:
  - { id: wait, uses: local, run: [sleep, "1"] }
`,
    );
    const out = join(dir, 'bundle');
    const child = drillbook(['run', file, '--out', out], { env: { TRUST_TEST_PIN: '73924155' } });
    const log = join(out, 'logs', 'check', '1.stdout.log');
    await waitFor(() => existsSync(join(out, 'journal.jsonl')) && readFileSync(join(out, 'journal.jsonl'), 'utf8').includes('"stepId":"wait"'));
    writeFileSync(log, 'all tables verified OK\n');
    const edited = await child;
    expect(edited.exitCode).toBe(6);
    expect(edited.stderr).toContain('logs/check/1.stdout.log: SHA-256 is');
    expect(existsSync(join(out, 'record.json'))).toBe(false);

    const clean = join(dir, 'clean');
    expect((await drillbook(['run', file, '--out', clean], { env: { TRUST_TEST_PIN: '73924155' } })).exitCode).toBe(0);
    const stdout = readRecord(clean).steps[0]?.attempts[0]?.stdout;
    const stored = readFileSync(join(clean, 'logs', 'check', '1.stdout.log'));
    expect(stored.toString()).toBe('checksum mismatch: 3 tables corrupt, pin ***\n');
    expect(stdout).toMatchObject({ redacted: true, bytes: stored.length, sha256: createHash('sha256').update(stored).digest('hex') });
    expect(stdout?.logSha256).toBe(stdout?.sha256);
  }, 60_000);

  it('a short numeric secret does not make the record unsealable', async () => {
    const dir = workspace();
    const steps = Array.from({ length: 6 }, (_, i) => `  - { id: s${i}, uses: local, run: [node, -e, "setTimeout(() => console.log('ok'), ${20 + i * 7})"] }\n`).join('');
    const file = writeScenario(dir, 'short-pin', `secrets: { pin: { env: TRUST_TEST_PIN } }\nsteps:\n${steps}  - { id: use, uses: local, run: ["true", "\${{ secrets.pin }}"] }\n`);
    for (const pin of ['4721', '2026', '1200']) {
      const out = join(dir, `bundle-${pin}`);
      const result = await drillbook(['run', file, '--out', out], { env: { TRUST_TEST_PIN: pin } });
      expect(result.stderr).not.toContain('malformed');
      expect(result.exitCode).toBe(0);
      expect(typeof readRecord(out).steps[0]?.durationMs).toBe('number');
    }
    const tiny = await drillbook(['run', file, '--out', join(dir, 'tiny')], { env: { TRUST_TEST_PIN: '7' } });
    expect(tiny.exitCode).toBe(2);
    expect(tiny.stderr).toContain('secret pin is shorter than 4 characters');
    expect(existsSync(join(dir, 'tiny'))).toBe(false);
  }, 60_000);

  it('SIGINT during the cleanup: the cleanup runs to its end, the record says so, exit 130', async () => {
    const dir = workspace();
    const started = join(dir, 'cleanup-started');
    const file = writeScenario(
      dir,
      'late-signal',
      `steps:\n  - { id: one, uses: local, run: ["true"] }\ncleanup:\n  - { id: slow, uses: local, run: [node, -e, "require('fs').writeFileSync(process.argv[1], 'x'); setTimeout(() => {}, 600)", "${started}"] }\n`,
    );
    const out = join(dir, 'bundle');
    const child = drillbook(['run', file, '--out', out]);
    await waitFor(() => existsSync(started));
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(130);
    const record = readRecord(out);
    expect([record.verdict, record.signal, record.cleanup[0]?.status]).toEqual(['PASS', 'SIGINT', 'passed']);
    expect(record.deviations).toContain('SIGINT arrived during the cleanup; the cleanup ran to its end');
  }, 60_000);

  it('a bundle folder in a folder anyone may write to (without a sticky bit) is refused before anything runs', async () => {
    const dir = workspace();
    const open = join(dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const marker = join(dir, 'ran');
    const file = writeScenario(dir, 'open-parent', `steps:\n  - { id: one, uses: local, run: [touch, "${marker}"] }\n`);
    const result = await drillbook(['run', file, '--store', join(dir, 'store'), '--out', join(open, 'bundle')]);
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toContain('which anyone may write to (and which has no sticky bit)');
    expect(existsSync(marker)).toBe(false);
  });
});
