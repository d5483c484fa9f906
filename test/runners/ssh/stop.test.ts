/**
 * A stopped ssh step leaves nothing of its own running, and its record says exactly what was stopped:
 * against the lab's sshd, with children that called setsid, a cgroup (root), a process that cannot be
 * killed (frozen by the cgroup v1 freezer) and one that is not ours to signal (recover as another user).
 * Processes are checked from this machine's /proc: the lab's hosts share its kernel.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stopSshLeftover } from '../../../runners/ssh/leftover.js';
import { createSshRunner } from '../../../runners/ssh/run.js';
import type { ProcessInfo } from '../../../src/runner-contract.js';
import { useSshLab } from '../../lab/use-ssh-lab.js';
import { until } from '../attempt-context.js';
import { hostOptions, labSettings, loopbackOptions, sshAttempt, sshTarget } from './support.js';

const lab = useSshLab();
const scratch = mkdtempSync(join(tmpdir(), 'drillbook-ssh-stop-'));
let runner: ReturnType<typeof createSshRunner>;
beforeAll(() => {
  runner = createSshRunner(labSettings(lab()));
});
afterEach(() => {
  // What a failed test may have left (root's processes outlive the lab user's teardown).
  for (const seconds of ['4444', '4446', '4448', '4449', '4450', '4452', '4453']) {
    for (const proc of running('sleep', seconds)) {
      try {
        process.kill(proc.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
});
afterAll(async () => {
  await runner.close?.();
  rmSync(scratch, { recursive: true, force: true });
});

interface Proc {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  state: string;
}

function stat(pid: number): Proc | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { pid, state: fields[0] ?? '', ppid: Number(fields[1]), pgid: Number(fields[2]), sid: Number(fields[3]) };
  } catch {
    return undefined;
  }
}

/** Live processes whose argv is exactly `argv` (what `ps` would list), read from /proc. */
function running(...argv: string[]): Proc[] {
  const wanted = `${argv.join('\0')}\0`;
  const found: Proc[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8') !== wanted) continue;
    } catch {
      continue;
    }
    const proc = stat(Number(entry));
    if (proc && proc.state !== 'Z') found.push(proc);
  }
  return found;
}

/** `ps -eo args` as the host's own tool shows it, without zombies. */
function psLines(): string[] {
  return execFileSync('ps', ['-eo', 'stat=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trim().startsWith('Z'))
    .map((line) => line.trim().replace(/^\S+\s+/, ''));
}

/** Freeze a process with the cgroup v1 freezer: signals stay pending (even KILL) until it is thawed. */
function freeze(pid: number): () => void {
  const dir = `/sys/fs/cgroup/freezer/drillbook-test-${process.pid}-${pid}`;
  mkdirSync(dir);
  writeFileSync(join(dir, 'tasks'), String(pid));
  writeFileSync(join(dir, 'freezer.state'), 'FROZEN');
  return () => {
    writeFileSync(join(dir, 'freezer.state'), 'THAWED');
    for (let tries = 0; tries < 50; tries += 1) {
      try {
        rmdirSync(dir);
        return;
      } catch {
        execFileSync('sleep', ['0.1']);
      }
    }
  };
}

interface Stop {
  method: string;
  signalsSent: string[];
  signalled: number[];
  gone: number[];
  unconfirmed: number[];
  allGone: boolean;
}

const sorted = (pids: readonly number[]): number[] => [...pids].sort((a, b) => a - b);

describe('a timed-out ssh step with a setsid child', () => {
  it.each(['loopback', 'h1'] as const)('sh -c "setsid sleep 4444 & sleep 4446", 3 s timeout: nothing left, every pid accounted for (%s)', async (where) => {
    const options = where === 'loopback' ? loopbackOptions(lab()) : hostOptions(lab(), 'h1');
    const attempt = sshAttempt({ argv: ['sh', '-c', 'setsid sleep 4444 & sleep 4446'], target: sshTarget('db', options) });
    const pending = runner.run(attempt.ctx);
    // The processes can show in ps a moment before the runner reports the one it started.
    await until(() => attempt.processes.length === 1 && running('sleep', '4444').length === 1 && running('sleep', '4446').length === 1, 10_000);
    const [info] = attempt.processes;
    const [child] = running('sleep', '4444');
    const [sleeper] = running('sleep', '4446');
    if (!info || !child || !sleeper) throw new Error('the command did not start');
    // The reproduction holds: the child left the command's group and session.
    expect(child.sid).toBe(child.pid);
    expect(child.pgid).not.toBe(info.pgid);
    expect(info).toMatchObject({ pid: sleeper.ppid, sid: info.pid, runToken: expect.stringMatching(/^[0-9a-f]{32}$/) as string });

    // The engine aborts the attempt's signal when the step's timeout fires.
    const timer = setTimeout(() => attempt.controller.abort(new Error('timeout')), 3_000);
    const observation = await pending;
    clearTimeout(timer);
    expect(observation.error).toBeUndefined();
    expect(observation.details?.stop).toEqual({
      method: 'session+tree+marker',
      signalsSent: ['TERM'],
      signalled: expect.any(Array) as unknown,
      gone: expect.any(Array) as unknown,
      unconfirmed: [],
      allGone: true,
    });
    const stop = observation.details?.stop as Stop;
    expect(sorted(stop.signalled)).toEqual(sorted([info.pid, child.pid, sleeper.pid]));
    expect(sorted(stop.gone)).toEqual(sorted([info.pid, child.pid, sleeper.pid]));
    expect(psLines().filter((line) => line === 'sleep 4444' || line === 'sleep 4446')).toEqual([]);
  });

  it('as root: the command\'s own cgroup holds it all, and is removed once empty', async () => {
    const attempt = sshAttempt({ argv: ['sh', '-c', 'setsid sleep 4444 & sleep 4446'], target: sshTarget('db', loopbackOptions(lab(), { user: 'root' })) });
    const pending = runner.run(attempt.ctx);
    // The processes can show in ps a moment before the runner reports the one it started.
    await until(() => attempt.processes.length === 1 && running('sleep', '4444').length === 1 && running('sleep', '4446').length === 1, 10_000);
    const [info] = attempt.processes;
    const cgroup = info?.cgroup;
    expect(cgroup).toMatch(/\/drillbook-[0-9a-f]{32}$/);
    const members = readFileSync(join(cgroup ?? '', 'cgroup.procs'), 'utf8').trim().split('\n').map(Number);
    expect(sorted(members)).toEqual(sorted([info?.pid ?? 0, ...running('sleep', '4444').map((p) => p.pid), ...running('sleep', '4446').map((p) => p.pid)]));
    attempt.controller.abort(new Error('timeout'));
    const observation = await pending;
    expect(observation.details?.cgroup).toBe(cgroup);
    expect(observation.details?.stop).toMatchObject({ method: 'cgroup', signalsSent: ['TERM'], unconfirmed: [], allGone: true });
    expect((observation.details?.stop as Stop).gone).toHaveLength(3);
    expect(psLines().filter((line) => line.startsWith('sleep 444'))).toEqual([]);
    expect(existsSync(cgroup ?? '')).toBe(false);
  });
});

describe('what cannot be confirmed gone is said so', () => {
  it('a process that KILL cannot end (frozen) is listed unconfirmed, and the step carries STOP_UNCONFIRMED', async () => {
    const attempt = sshAttempt({
      argv: ['sh', '-c', 'setsid sleep 4448 & echo ready; sleep 4449'],
      options: { killGrace: '300ms' },
      target: sshTarget('db', loopbackOptions(lab())),
    });
    const pending = runner.run(attempt.ctx);
    await until(() => attempt.stdout.bytes().toString().includes('ready') && running('sleep', '4448').length === 1 && running('sleep', '4449').length === 1, 10_000);
    const [frozen] = running('sleep', '4448');
    const [sleeper] = running('sleep', '4449');
    const info = attempt.processes[0];
    if (!frozen || !sleeper || !info) throw new Error('the command did not start');
    const thaw = freeze(frozen.pid);
    try {
      attempt.controller.abort(new Error('timeout'));
      const observation = await pending;
      const stop = observation.details?.stop as Stop;
      expect(stop).toMatchObject({ method: 'session+tree+marker', signalsSent: ['TERM', 'KILL'], unconfirmed: [frozen.pid], allGone: false });
      expect(sorted(stop.gone)).toEqual(sorted([info.pid, sleeper.pid]));
      expect(stop.signalled).toContain(frozen.pid);
      expect(observation.error).toEqual({
        code: 'STOP_UNCONFIRMED',
        message: `1 process of the step on 127.0.0.1 could not be confirmed gone after KILL (pid ${frozen.pid}): still running, or not ours to signal`,
      });
      expect(running('sleep', '4448')).toHaveLength(1);
    } finally {
      thaw();
    }
    // Its KILL was pending: thawed, it dies.
    await until(() => running('sleep', '4448').length === 0, 5_000);
  });
});

describe('recover (stopLeftover) from the journalled process', () => {
  const silent = pino({ level: 'silent' });

  it('finds a setsid child by its run token after the command itself has exited', async () => {
    const attempt = sshAttempt({ argv: ['sh', '-c', 'setsid sleep 4450 </dev/null >/dev/null 2>&1 & echo started'], target: sshTarget('db', loopbackOptions(lab())) });
    const observation = await runner.run(attempt.ctx);
    expect(observation.exitCode).toBe(0);
    const info = attempt.processes[0] as ProcessInfo;
    await until(() => running('sleep', '4450').length === 1);
    // Without the token nothing leads to it any more: its parent, group and session are gone.
    const { runToken: _token, ...untokened } = info;
    expect(await stopSshLeftover(sshTarget('db', loopbackOptions(lab())), untokened, { baseDir: scratch, settings: labSettings(lab()), log: silent, graceMs: 200 })).toBe(true);
    expect(running('sleep', '4450')).toHaveLength(1);
    expect(await stopSshLeftover(sshTarget('db', loopbackOptions(lab())), info, { baseDir: scratch, settings: labSettings(lab()), log: silent, graceMs: 200 })).toBe(true);
    expect(running('sleep', '4450')).toEqual([]);
  });

  it('reports processes it has no permission to signal as unconfirmed, never as gone', async () => {
    const attempt = sshAttempt({ argv: ['sh', '-c', 'setsid sleep 4452 & echo ready; sleep 4453'], target: sshTarget('db', loopbackOptions(lab(), { user: 'root' })) });
    const pending = runner.run(attempt.ctx);
    await until(() => attempt.stdout.bytes().toString().includes('ready') && running('sleep', '4452').length === 1 && running('sleep', '4453').length === 1, 10_000);
    const info = attempt.processes[0] as ProcessInfo;
    const pids = sorted([info.pid, ...running('sleep', '4452').map((p) => p.pid), ...running('sleep', '4453').map((p) => p.pid)]);
    const lines: Record<string, unknown>[] = [];
    const log = pino(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
          callback();
        },
      }),
    );
    try {
      // The root step's processes, stopped by the unprivileged login user (a recover run with another login).
      const stopped = await stopSshLeftover(sshTarget('db', loopbackOptions(lab())), info, { baseDir: scratch, settings: labSettings(lab()), log, graceMs: 200 });
      expect(stopped).toBe(false);
      const entry = lines.find((line) => line['msg'] === 'remote leftover stop');
      expect(entry).toMatchObject({ method: 'cgroup', signalsSent: [], signalled: [], gone: [], allGone: false });
      expect(sorted(entry?.['unconfirmed'] as number[])).toEqual(pids);
      expect(running('sleep', '4452')).toHaveLength(1);
    } finally {
      attempt.controller.abort();
    }
    const observation = await pending;
    expect(observation.details?.stop).toMatchObject({ method: 'cgroup', unconfirmed: [], allGone: true });
    expect(running('sleep', '4452')).toEqual([]);
  });
});
