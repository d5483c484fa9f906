/**
 * The one run pipeline through the built CLI: recover finishes a crashed run with the run's own inputs and
 * keeps the record chain; the machine-wide lock; every catchable terminating signal ends in cleanup and a
 * sealed record; an evidence folder that cannot take a write is refused before anything runs.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { drillbook, isAlive, readRecord, waitFor, workspace, writeScenario } from './support.js';

const bundlesOf = (store: string, id: string): string[] =>
  readdirSync(join(store, id))
    .filter((n) => n !== 'run.lock')
    .sort()
    .map((n) => join(store, id, n));

/** A drill whose step waits (writing its pid) and whose cleanup writes into the folder `${{ vars.marker }}`. */
function crashable(dir: string, name: string, extra = ''): { file: string; pidFile: string } {
  const pidFile = join(dir, `${name}.pid`);
  const file = writeScenario(
    dir,
    name,
    `vars: { marker: ${JSON.stringify(join(dir, 'default-marker'))}, hold: "120000" }
${extra}steps:
  - id: long
    uses: local
    run: [node, -e, "require('fs').writeFileSync(process.argv[1], String(process.pid)); setTimeout(() => {}, Number(process.argv[2]))", "${pidFile}", "\${{ vars.hold }}"]
cleanup:
  - id: undo
    uses: local
    run: [node, -e, "require('fs').writeFileSync(process.argv[1], 'cleaned')", "\${{ vars.marker }}"]
`,
  );
  return { file, pidFile };
}

describe('recover finishes a crashed run with its own inputs', () => {
  it('uses the --var values of the run, not the scenario defaults, and chains the record to the previous one', async () => {
    const dir = workspace();
    const store = join(dir, 'store');
    const { file, pidFile } = crashable(dir, 'own-inputs');
    // A first, finished run: the crashed one's record must chain to it.
    const first = await drillbook(['run', file, '--store', store, '--var', 'hold=1', '--var', `marker=${join(dir, 'first')}`]);
    expect(first.exitCode).toBe(0);
    const [firstBundle] = bundlesOf(store, 'own-inputs');
    const firstDigest = createHash('sha256').update(readFileSync(join(firstBundle ?? '', 'record.json'))).digest('hex');
    rmSync(pidFile);

    const chosen = join(dir, 'chosen-marker');
    const child = drillbook(['run', file, '--store', store, '--var', `marker=${chosen}`]);
    await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8') !== '' && bundlesOf(store, 'own-inputs').length === 2);
    const stepPid = Number(readFileSync(pidFile, 'utf8'));
    child.kill('SIGKILL');
    await child;
    const crashed = bundlesOf(store, 'own-inputs').find((b) => b !== firstBundle) ?? '';

    const recovered = await drillbook(['recover', crashed]);
    expect(recovered.stderr).toBe('');
    expect(recovered.exitCode).toBe(0);
    expect(isAlive(stepPid)).toBe(false);
    expect(readFileSync(chosen, 'utf8')).toBe('cleaned');
    expect(existsSync(join(dir, 'default-marker'))).toBe(false);
    const record = readRecord(crashed);
    expect(record.vars['marker']).toBe(chosen);
    expect(record.cleanup.map((s) => [s.id, s.status, s.argvResolved?.[3]])).toEqual([['undo', 'passed', chosen]]);
    expect(record.previousRecordSha256).toBe(firstDigest);
    const verified = await drillbook(['verify', crashed, '--threshold', '0', '--previous', firstBundle ?? '']);
    expect(verified.exitCode).toBe(0);
  }, 60_000);

  it('refuses (exit 4, nothing run) when a secret now resolves to another value, naming the secret, never a value', async () => {
    const dir = workspace();
    const store = join(dir, 'store');
    const { file, pidFile } = crashable(dir, 'secret-changed', 'secrets: { token: { env: PIPELINE_TEST_TOKEN } }\n');
    const child = drillbook(['run', file, '--store', store], { env: { PIPELINE_TEST_TOKEN: 'first-value-7c1e' } });
    await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8') !== '');
    const stepPid = Number(readFileSync(pidFile, 'utf8'));
    child.kill('SIGKILL');
    await child;
    const [crashed] = bundlesOf(store, 'secret-changed');

    const refused = await drillbook(['recover', crashed ?? ''], { env: { PIPELINE_TEST_TOKEN: 'other-value-9d2f' } });
    expect(refused.exitCode).toBe(4);
    expect(refused.stderr).toContain('secret token: $PIPELINE_TEST_TOKEN now holds a different value than when the run started');
    expect(refused.all).not.toContain('first-value-7c1e');
    expect(refused.all).not.toContain('other-value-9d2f');
    expect(existsSync(join(dir, 'default-marker'))).toBe(false);
    expect(isAlive(stepPid)).toBe(true);
    const journal = readFileSync(join(crashed ?? '', 'journal.jsonl'), 'utf8');
    expect(journal).not.toContain('first-value-7c1e');
    expect(journal).toContain('"alg":"scrypt"');

    const recovered = await drillbook(['recover', crashed ?? ''], { env: { PIPELINE_TEST_TOKEN: 'first-value-7c1e' } });
    expect(recovered.exitCode).toBe(0);
    expect(isAlive(stepPid)).toBe(false);
  }, 60_000);
});

describe('one run of a scenario at a time on this machine', () => {
  it('refuses a second run of the same scenario from another store (exit 4), and names the running one', async () => {
    const dir = workspace();
    const { file, pidFile } = crashable(dir, 'machine-lock');
    const child = drillbook(['run', file, '--store', join(dir, 'store-a')]);
    await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8') !== '');
    const second = await drillbook(['run', file, '--store', join(dir, 'store-b')]);
    expect(second.exitCode).toBe(4);
    expect(second.stderr).toMatch(/another run of this scenario is in progress: run \S+, pid \d+/);
    expect(existsSync(join(dir, 'store-b', 'machine-lock'))).toBe(true);
    expect(readdirSync(join(dir, 'store-b', 'machine-lock'))).toEqual([]);
    child.kill('SIGTERM');
    expect((await child).exitCode).toBe(143);
  }, 60_000);
});

describe('every terminating signal ends in cleanup and a sealed record', () => {
  for (const [signal, code] of [
    ['SIGHUP', 129],
    ['SIGQUIT', 131],
    ['SIGTERM', 143],
  ] as const) {
    it(`${signal} mid-step: the step is stopped, cleanup runs, ABORTED, exit ${code}`, async () => {
      const dir = workspace();
      const { file, pidFile } = crashable(dir, `signal-${signal.toLowerCase()}`);
      const out = join(dir, 'bundle');
      const child = drillbook(['run', file, '--out', out, '--var', `marker=${join(dir, 'cleaned')}`]);
      await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8') !== '');
      const stepPid = Number(readFileSync(pidFile, 'utf8'));
      child.kill(signal);
      const result = await child;
      expect(result.exitCode).toBe(code);
      expect(readFileSync(join(dir, 'cleaned'), 'utf8')).toBe('cleaned');
      expect(isAlive(stepPid)).toBe(false);
      const record = readRecord(out);
      expect([record.verdict, record.endReason, record.signal]).toEqual(['ABORTED', 'signal', signal]);
      expect(record.cleanup[0]?.status).toBe('passed');
    }, 60_000);
  }
});

describe('an evidence folder that cannot take a write', () => {
  it('is refused before anything runs: exit 4, one line, no stack trace', async () => {
    const dir = workspace();
    const mount = join(dir, 'ro');
    mkdirSync(mount);
    await execa('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', mount]);
    try {
      const { file, pidFile } = crashable(dir, 'read-only');
      const result = await drillbook(['run', file, '--store', join(dir, 'store'), '--out', join(mount, 'bundle')]);
      expect(result.exitCode).toBe(4);
      expect(result.stderr).toMatch(/^drillbook: evidence folder \S+ cannot be created \(EROFS\)\n {2}hint: /);
      expect(result.stderr).not.toContain('    at ');
      expect(existsSync(pidFile)).toBe(false);
    } finally {
      await execa('umount', [mount]);
    }
  });
});

describe("a step's environment", () => {
  it('is a minimal base plus inheritEnv; a secret’s variable reaches only the steps that reference the secret', async () => {
    const dir = workspace();
    const dump = (id: string, extra = '') =>
      `  - id: ${id}\n    uses: local\n${extra}    run: [node, -e, "require('fs').writeFileSync(process.argv[1], JSON.stringify(process.env))", "${join(dir, `${id}.json`)}"]\n`;
    const file = writeScenario(
      dir,
      'step-env',
      `secrets: { token: { env: STEP_ENV_TOKEN } }
inheritEnv: [STEP_ENV_SHARED, STEP_ENV_TOKEN]
steps:
${dump('plain')}${dump('own', '    inheritEnv: [STEP_ENV_OWN]\n')}${dump('uses-secret', '    with: { env: { GIVEN: "${{ secrets.token }}" } }\n')}`,
    );
    const result = await drillbook(['run', file, '--out', join(dir, 'bundle')], {
      env: { STEP_ENV_SHARED: 'shared', STEP_ENV_OWN: 'own', STEP_ENV_TOKEN: 'tok-3f9a-secret', STEP_ENV_LEAK: 'should-not-pass' },
    });
    expect(result.exitCode).toBe(0);
    const env = (id: string) => JSON.parse(readFileSync(join(dir, `${id}.json`), 'utf8')) as Record<string, string>;
    const plain = env('plain');
    expect(plain['STEP_ENV_SHARED']).toBe('shared');
    expect(plain['STEP_ENV_LEAK']).toBeUndefined();
    expect(plain['STEP_ENV_OWN']).toBeUndefined();
    expect(plain['STEP_ENV_TOKEN']).toBeUndefined();
    expect(plain['PATH']).toBe(process.env['PATH']);
    expect(Object.keys(plain).filter((k) => !['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'STEP_ENV_SHARED', 'DRILLBOOK_RUN_TOKEN'].includes(k))).toEqual([]);
    expect(env('own')['STEP_ENV_OWN']).toBe('own');
    const withSecret = env('uses-secret');
    expect(withSecret['GIVEN']).toBe('tok-3f9a-secret');
    expect(withSecret['STEP_ENV_TOKEN']).toBe('tok-3f9a-secret');
  });
});
