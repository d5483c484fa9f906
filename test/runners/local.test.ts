import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { localRunner } from '../../runners/local/definition.js';
import type { ProcessInfo, StepRunner } from '../../src/runner-contract.js';
import { createTestAttempt, livePidsInGroup, startTimeOf, until, type TestAttemptOptions } from './attempt-context.js';

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const silent = pino({ level: 'silent' });

let runner: StepRunner;
let dir: string;
/** Groups a test started; killed after each test whatever happened. */
const groups: number[] = [];

beforeAll(async () => {
  runner = await localRunner.load();
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'drillbook-local-')));
});
afterEach(() => {
  // setsid children a failed test may have left (they are not in the groups below).
  for (const pid of strays()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const pgid of groups.splice(0)) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function run(argv: string[], overrides: TestAttemptOptions = {}) {
  const attempt = createTestAttempt({ argv, baseDir: dir, ...overrides });
  const observation = await runner.run(attempt.ctx);
  for (const info of attempt.processes) groups.push(info.pgid);
  return { observation, ...attempt };
}

/** Start a command, wait until its group has `members` live processes, abort, and time the stop. */
async function runAndAbort(argv: string[], members: number, options: Record<string, unknown> = {}) {
  const attempt = createTestAttempt({ argv, baseDir: dir, options });
  const pending = runner.run(attempt.ctx);
  await until(() => attempt.processes.length === 1);
  const pgid = attempt.processes[0]!.pgid;
  groups.push(pgid);
  await until(() => livePidsInGroup(pgid).length === members);
  const abortedAt = performance.now();
  attempt.controller.abort(new Error('timeout'));
  const observation = await pending;
  return { observation, pgid, stopMs: performance.now() - abortedAt, membersAfter: livePidsInGroup(pgid) };
}

describe('local runner: one command, observed', () => {
  it('reports the exit code', async () => {
    expect((await run(['true'])).observation.exitCode).toBe(0);
    const failed = await run(['sh', '-c', 'exit 3']);
    expect(failed.observation.exitCode).toBe(3);
    expect(failed.observation.signal).toBeUndefined();
    expect(failed.observation.error).toBeUndefined();
  });

  it('captures stdout and stderr, sends them in full to the sinks and digests the raw bytes', async () => {
    const { observation, stdout, stderr } = await run(['sh', '-c', 'printf "hello\\n"; printf "oops" >&2']);
    expect(observation.stdout).toEqual({ text: 'hello\n', bytes: 6, truncated: false, sha256: sha256('hello\n') });
    expect(observation.stderr).toEqual({ text: 'oops', bytes: 4, truncated: false, sha256: sha256('oops') });
    expect(stdout.bytes().toString()).toBe('hello\n');
    expect(stderr.bytes().toString()).toBe('oops');
  });

  it('truncates the capture at the limit but digests and forwards the whole stream', async () => {
    const whole = 'abc\n'.repeat(50_000);
    const { observation, stdout } = await run(['sh', '-c', 'yes abc | head -c 200000'], { captureLimitBytes: 1_000 });
    expect(observation.stdout).toEqual({ text: whole.slice(0, 1_000), bytes: 200_000, truncated: true, sha256: sha256(whole) });
    expect(stdout.bytes().equals(Buffer.from(whole))).toBe(true);
  });

  it('runs in cwd relative to the scenario folder, adds env to the inherited environment, feeds input', async () => {
    mkdirSync(join(dir, 'work'), { recursive: true });
    const { observation } = await run(['sh', '-c', 'pwd; printf "%s|%s|" "$DRILL_X" "$HOME"; cat'], {
      options: { cwd: 'work', env: { DRILL_X: '42' }, input: 'from stdin' },
    });
    expect(observation.exitCode).toBe(0);
    expect(observation.stdout?.text).toBe(`${join(dir, 'work')}\n42|${process.env['HOME'] ?? ''}|from stdin`);

    writeFileSync(join(dir, 'work', 'tool.sh'), '#!/bin/sh\necho tool ran\n', { mode: 0o755 });
    expect((await run(['./tool.sh'], { options: { cwd: 'work' } })).observation.stdout?.text).toBe('tool ran\n');
  });

  it('gives the command an empty stdin when there is no input, and passes arguments without a shell', async () => {
    const { observation } = await run(['sh', '-c', 'cat; printf "[%s]" "$1"', 'sh', '$(echo no) * ; `x`']);
    expect(observation.exitCode).toBe(0);
    expect(observation.stdout?.text).toBe('[$(echo no) * ; `x`]');
  });

  it('reports a command that cannot start as an error naming it, without a process', async () => {
    const missing = await run(['drillbook-no-such-command', 'x']);
    expect(missing.observation).toEqual({
      error: { code: 'ENOENT', message: 'cannot run drillbook-no-such-command: not found on PATH (ENOENT)' },
    });
    expect(missing.processes).toEqual([]);

    const plain = join(dir, 'not-executable');
    writeFileSync(plain, '#!/bin/sh\n');
    chmodSync(plain, 0o644);
    // root may execute any file with an x bit, but none is set here.
    const denied = await run([plain]);
    expect(denied.observation.error).toEqual({ code: 'EACCES', message: `cannot run ${plain}: permission denied (is it an executable file?) (EACCES)` });

    const noFolder = await run(['true'], { options: { cwd: 'missing' } });
    expect(noFolder.observation.error).toEqual({ code: 'ENOENT', message: `cannot run true: working folder ${join(dir, 'missing')} does not exist` });
  });

  it('reports the process with pid, pgid, start time, host and argv as soon as it exists', async () => {
    const attempt = createTestAttempt({ argv: ['sleep', '0.2'], baseDir: dir });
    const pending = runner.run(attempt.ctx);
    expect(attempt.processes).toHaveLength(1);
    const info = attempt.processes[0]!;
    groups.push(info.pgid);
    expect(info).toEqual({
      runner: 'local',
      host: hostname(),
      pid: info.pid,
      pgid: info.pid,
      sid: info.pid,
      startTime: startTimeOf(info.pid),
      runToken: expect.stringMatching(/^[0-9a-f]{32}$/) as string,
      argv: ['sleep', '0.2'],
    });
    expect(info.startTime).toMatch(/^\d+$/);
    expect(livePidsInGroup(info.pgid)).toEqual([info.pid]);
    expect((await pending).exitCode).toBe(0);
  });

  it('does not start when the step is already stopped', async () => {
    const attempt = createTestAttempt({ argv: ['true'], baseDir: dir });
    attempt.controller.abort();
    expect(await runner.run(attempt.ctx)).toEqual({ error: { code: 'CANCELLED', message: 'true was not started: the step was stopped first' } });
    expect(attempt.processes).toEqual([]);
  });
});

describe('local runner: stopping kills the whole process group', () => {
  it('TERMs every member and resolves only when none is left', async () => {
    const { observation, stopMs, membersAfter } = await runAndAbort(['sh', '-c', 'sleep 300 & sleep 300 & wait'], 3);
    expect(membersAfter).toEqual([]);
    expect(observation.signal).toBe('SIGTERM');
    expect(observation.exitCode).toBeUndefined();
    expect(observation.error).toBeUndefined();
    expect(observation.details).toMatchObject({ stopped: true, signalsSent: ['SIGTERM'] });
    expect(stopMs).toBeLessThan(2_000);
  });

  it('gives the command its run token, which its children inherit', async () => {
    const { observation, processes } = await run(['sh', '-c', 'sh -c \'printf %s "$DRILLBOOK_RUN_TOKEN"\''], { options: { env: { DRILLBOOK_RUN_TOKEN: 'mine' } } });
    expect(observation.stdout?.text).toBe(processes[0]?.runToken);
  });

  it('KILLs a group that ignores TERM after killGrace', async () => {
    // The ignored TERM is inherited by sleep, so both need KILL.
    const { observation, stopMs, membersAfter } = await runAndAbort(['sh', '-c', 'trap "" TERM; sleep 300'], 2, { killGrace: '300ms' });
    expect(membersAfter).toEqual([]);
    expect(observation.signal).toBe('SIGKILL');
    expect(observation.details).toMatchObject({ stopped: true, signalsSent: ['SIGTERM', 'SIGKILL'] });
    expect(stopMs).toBeGreaterThanOrEqual(300);
    expect(stopMs).toBeLessThan(3_000);
  });

  it('wakes stopped (SIGSTOP) members so they see TERM', async () => {
    const attempt = createTestAttempt({ argv: ['sleep', '300'], baseDir: dir });
    const pending = runner.run(attempt.ctx);
    const pgid = attempt.processes[0]!.pgid;
    groups.push(pgid);
    process.kill(-pgid, 'SIGSTOP');
    const abortedAt = performance.now();
    attempt.controller.abort();
    const observation = await pending;
    expect(observation.details).toMatchObject({ signalsSent: ['SIGTERM'] });
    expect(observation.signal).toBe('SIGTERM');
    expect(performance.now() - abortedAt).toBeLessThan(2_000);
    expect(livePidsInGroup(pgid)).toEqual([]);
  });
});

describe('local runner: processes left on purpose', () => {
  it('lets a step leave a background process on normal exit, and stopLeftover ends it later', async () => {
    const { observation, processes } = await run(['sh', '-c', 'sleep 300 >/dev/null 2>&1 & echo started']);
    expect(observation.exitCode).toBe(0);
    expect(observation.stdout?.text).toBe('started\n');
    const info = processes[0]!;
    // The shell has gone; its background child outlived it in the same group.
    expect(livePidsInGroup(info.pgid)).toHaveLength(1);
    expect(livePidsInGroup(info.pgid)).not.toContain(info.pid);

    expect(await runner.stopLeftover!(info, silent)).toBe(true);
    expect(livePidsInGroup(info.pgid)).toEqual([]);
  });

  it('stops reading output a moment after exit when a leftover holds the pipes, and says so', async () => {
    const startedAt = performance.now();
    const { observation, processes } = await run(['sh', '-c', 'sleep 300 & echo started']);
    expect(performance.now() - startedAt).toBeLessThan(2_000);
    expect(observation.exitCode).toBe(0);
    expect(observation.stdout?.text).toBe('started\n');
    expect(observation.details).toMatchObject({ outputOpenAfterExit: true });
    expect(await runner.stopLeftover!(processes[0]!, silent)).toBe(true);
  });

  it('stopLeftover never touches a pid that now belongs to another process', async () => {
    const attempt = createTestAttempt({ argv: ['sleep', '300'], baseDir: dir });
    const pending = runner.run(attempt.ctx);
    const info = attempt.processes[0]!;
    groups.push(info.pgid);
    // Another process under that pid would not carry this attempt's run token either.
    const reused: ProcessInfo = { ...info, startTime: String(Number(info.startTime) - 1), runToken: 'f'.repeat(32) };
    expect(await runner.stopLeftover!(reused, silent)).toBe(true);
    expect(livePidsInGroup(info.pgid)).toEqual([info.pid]);

    expect(await runner.stopLeftover!({ ...info, host: `${hostname()}-elsewhere` }, silent)).toBe(false);
    expect(livePidsInGroup(info.pgid)).toEqual([info.pid]);

    expect(await runner.stopLeftover!(info, silent)).toBe(true);
    expect(livePidsInGroup(info.pgid)).toEqual([]);
    expect((await pending).signal).toBe('SIGTERM');
  });
});

/** Live processes whose argv is exactly `argv`, from /proc. */
function running(...argv: string[]): number[] {
  const wanted = `${argv.join('\0')}\0`;
  return readdirSync('/proc').filter((entry) => {
    if (!/^\d+$/.test(entry)) return false;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8') !== wanted) return false;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
    } catch {
      return false;
    }
  }).map(Number);
}

/** Freeze a process with the cgroup v1 freezer: signals stay pending (even KILL) until it is thawed. */
function freeze(pid: number): () => void {
  const freezer = `/sys/fs/cgroup/freezer/drillbook-test-${process.pid}-${pid}`;
  mkdirSync(freezer);
  writeFileSync(join(freezer, 'tasks'), String(pid));
  writeFileSync(join(freezer, 'freezer.state'), 'FROZEN');
  return () => {
    writeFileSync(join(freezer, 'freezer.state'), 'THAWED');
    for (let tries = 0; tries < 50; tries += 1) {
      try {
        rmdirSync(freezer);
        return;
      } catch {
        execFileSync('sleep', ['0.1']);
      }
    }
  };
}

const sorted = (pids: readonly number[]): number[] => [...pids].sort((a, b) => a - b);

/** The sleeps these tests start (4445 … 4455): none may outlive a test. */
function strays(): number[] {
  return ['4445', '4447', '4451', '4453', '4455'].flatMap((seconds) => running('sleep', seconds));
}

describe('local runner: processes that left the group (setsid)', () => {
  it('stops a setsid child with the rest when the step times out, and lists every pid it stopped', async () => {
    const attempt = createTestAttempt({ argv: ['sh', '-c', 'setsid sleep 4445 & sleep 4447'], baseDir: dir });
    const pending = runner.run(attempt.ctx);
    await until(() => running('sleep', '4445').length === 1 && running('sleep', '4447').length === 1);
    const info = attempt.processes[0]!;
    groups.push(info.pgid);
    const [child] = running('sleep', '4445');
    const [sleeper] = running('sleep', '4447');
    // The process-group kill alone would miss it: it leads a session and group of its own.
    expect(livePidsInGroup(info.pgid)).not.toContain(child);
    attempt.controller.abort(new Error('timeout'));
    const observation = await pending;
    expect(observation.error).toBeUndefined();
    expect(observation.details).toMatchObject({ stopped: true, signalsSent: ['SIGTERM'] });
    const stop = observation.details?.['stop'] as { signalled: number[]; gone: number[] };
    expect(observation.details?.['stop']).toMatchObject({ method: 'session+tree+marker', signalsSent: ['SIGTERM'], unconfirmed: [], allGone: true });
    expect(sorted(stop.signalled)).toEqual(sorted([info.pid, child!, sleeper!]));
    expect(sorted(stop.gone)).toEqual(sorted([info.pid, child!, sleeper!]));
    expect(running('sleep', '4445')).toEqual([]);
  });

  it('lists a process KILL cannot end (frozen) as unconfirmed and fails the step with STOP_UNCONFIRMED', async () => {
    const attempt = createTestAttempt({ argv: ['sh', '-c', 'setsid sleep 4451 & sleep 4453'], baseDir: dir, options: { killGrace: '200ms' } });
    const pending = runner.run(attempt.ctx);
    await until(() => running('sleep', '4451').length === 1 && running('sleep', '4453').length === 1);
    groups.push(attempt.processes[0]!.pgid);
    const [frozen] = running('sleep', '4451');
    const thaw = freeze(frozen!);
    try {
      attempt.controller.abort(new Error('timeout'));
      const observation = await pending;
      expect(observation.details?.['stop']).toMatchObject({ signalsSent: ['SIGTERM', 'SIGKILL'], unconfirmed: [frozen], allGone: false });
      expect((observation.details?.['stop'] as { gone: number[] }).gone).not.toContain(frozen);
      expect(observation.error).toEqual({
        code: 'STOP_UNCONFIRMED',
        message: `1 process of the step (sh) could not be confirmed gone after KILL (pid ${frozen!}): still running, or not ours to signal`,
      });
    } finally {
      thaw();
    }
    await until(() => running('sleep', '4451').length === 0);
  });

  it('stopLeftover finds a setsid child by its run token after the command has exited', async () => {
    const { observation, processes } = await run(['sh', '-c', 'setsid sleep 4455 </dev/null >/dev/null 2>&1 & echo started']);
    expect(observation.exitCode).toBe(0);
    const info = processes[0]!;
    await until(() => running('sleep', '4455').length === 1);
    const { runToken: _token, ...untokened } = info;
    // Without the token nothing leads to it: its parent, group and session are gone.
    expect(await runner.stopLeftover!(untokened, silent)).toBe(true);
    expect(running('sleep', '4455')).toHaveLength(1);
    expect(await runner.stopLeftover!(info, silent)).toBe(true);
    expect(running('sleep', '4455')).toEqual([]);
  });
});
