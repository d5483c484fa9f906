import { afterAll, describe, expect, it } from 'vitest';
import { createSshPool } from '../../../runners/ssh/pool.js';
import { createSshRunner } from '../../../runners/ssh/run.js';
import type { Observation } from '../../../src/runner-contract.js';
import { labHost, type SshLabFacts } from '../../lab/lab.js';
import { useSshLab } from '../../lab/use-ssh-lab.js';
import { labSettings, sshAttempt, sshTarget } from './support.js';

const lab = useSshLab();
const pool = createSshPool();
afterAll(() => pool.close());

/** h1 and h2, plus an address of the lab subnet where nothing answers (a host that is down). */
function groupWithOneDown(lab: SshLabFacts, success: unknown): Record<string, unknown> {
  const down = lab.subnet.replace(/\.0\/24$/, '.99');
  const [h1, h2] = [labHost(lab, 'h1'), labHost(lab, 'h2')];
  return {
    hosts: [{ host: h1.address, hostKey: h1.hostKey }, { host: h2.address, hostKey: h2.hostKey }, { host: down, hostKey: h1.hostKey }],
    user: lab.user,
    identityFile: lab.clientKey,
    agent: false,
    connectTimeout: '1s',
    success,
  };
}

async function runGroup(success: unknown, judge?: (o: Observation) => { ok: boolean; message?: string }) {
  const runner = createSshRunner(labSettings(lab()), { pool });
  const attempt = sshAttempt({ argv: ['hostname'], target: sshTarget('pair', groupWithOneDown(lab(), success)), ...(judge ? { judge } : {}) });
  return { observation: await runner.run(attempt.ctx), attempt };
}

describe('a step on a group with one host down', () => {
  it('applies each success rule and keeps every host result', async () => {
    const [all, any, atLeast2, atLeast3] = await Promise.all([runGroup('all'), runGroup('any'), runGroup({ atLeast: 2 }), runGroup('atLeast:3')]);
    const down = lab().subnet.replace(/\.0\/24$/, '.99');
    const downReason = `${down}: CONNECT_TIMEOUT: no SSH handshake with ${down} (${down}:22) within 1000 ms`;

    expect(all.observation.error).toEqual({ code: 'GROUP_RULE', message: `2 of 3 hosts passed; rule all needs 3. ${downReason}` });
    expect(atLeast3.observation.error).toEqual({ code: 'GROUP_RULE', message: `2 of 3 hosts passed; rule atLeast:3 needs 3. ${downReason}` });
    for (const { observation } of [any, atLeast2]) {
      expect(observation.error).toBeUndefined();
      expect(observation.exitCode).toBe(0);
      expect(observation.stdout?.text).toBe('h1\n');
    }
    const hosts = all.observation.details?.hosts as Record<string, unknown>[];
    expect(hosts.map((h) => [h.host, h.ok, h.exitCode ?? (h.error as { code: string }).code])).toEqual([
      [labHost(lab(), 'h1').address, true, 0],
      [labHost(lab(), 'h2').address, true, 0],
      [down, false, 'CONNECT_TIMEOUT'],
    ]);
    expect(all.observation.details).toMatchObject({ rule: 'all', passed: 2, failed: 1 });
    expect((all.observation.details?.hostKey as { fingerprint: string }[]).map((k) => k.fingerprint)).toEqual([labHost(lab(), 'h1').hostKey, labHost(lab(), 'h2').hostKey]);
    expect(all.attempt.processes.map((p) => p.host)).toEqual(expect.arrayContaining([labHost(lab(), 'h1').address, labHost(lab(), 'h2').address]));
    expect(all.attempt.stdout.bytes().toString().split('\n').sort()).toEqual(['', `[${labHost(lab(), 'h1').address}] h1`, `[${labHost(lab(), 'h2').address}] h2`]);
  });

  it('judges every host with the step expectation', async () => {
    const onlyH2 = (o: Observation) => (o.stdout?.text === 'h2\n' ? { ok: true } : { ok: false, message: `stdout was ${JSON.stringify(o.stdout?.text ?? '')}` });
    const { observation } = await runGroup({ atLeast: 2 }, onlyH2);
    expect(observation.error?.code).toBe('GROUP_RULE');
    expect(observation.error?.message).toMatch(new RegExp(`^1 of 3 hosts passed; rule atLeast:2 needs 2\\. ${labHost(lab(), 'h1').address.replaceAll('.', '\\.')}: stdout was "h1\\\\n"; `));
    expect(observation.stdout?.text).toBe('h1\n');
  });
});

describe('concurrency', () => {
  it('never runs more hosts at once than the group allows', async () => {
    const runner = createSshRunner(labSettings(lab(), { sshConfigFile: lab().sshConfig }), { pool });
    const target = sshTarget('six', { hosts: ['lab-1', 'lab-2', 'lab-3', 'lab-4', 'lab-5', 'lab-6'], concurrency: 2 });
    const attempt = sshAttempt({ argv: ['sh', '-c', 'echo "start $(date +%s%N)"; sleep 0.3; echo "end $(date +%s%N)"'], target });
    const observation = await runner.run(attempt.ctx);
    expect(observation.error).toBeUndefined();
    expect(observation.details).toMatchObject({ passed: 6, failed: 0 });
    const events = attempt.stdout
      .bytes()
      .toString()
      .trim()
      .split('\n')
      .map((line) => {
        const [, host, kind, at] = /^\[(lab-\d)\] (start|end) (\d+)$/.exec(line) ?? [];
        return { host, delta: kind === 'start' ? 1 : -1, at: BigInt(at ?? '0') };
      })
      .sort((a, b) => (a.at === b.at ? a.delta - b.delta : a.at < b.at ? -1 : 1));
    expect(new Set(events.map((e) => e.host)).size).toBe(6);
    let running = 0;
    let peak = 0;
    for (const event of events) {
      running += event.delta;
      peak = Math.max(peak, running);
    }
    expect(peak).toBe(2);
  });
});
