/**
 * A host that drops off mid-step (its link taken down inside its namespace) fails the step with
 * CONNECTION_LOST within its timeout plus a few seconds. The lab's h3 is used by this file only.
 */
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createSshPool } from '../../../runners/ssh/pool.js';
import { createSshRunner } from '../../../runners/ssh/run.js';
import type { ProcessInfo } from '../../../src/runner-contract.js';
import { labHost, setLabLink } from '../../lab/lab.js';
import { useSshLab } from '../../lab/use-ssh-lab.js';
import { livePidsInGroup, until } from '../attempt-context.js';
import { hostOptions, labSettings, sshAttempt, sshTarget } from './support.js';

const lab = useSshLab();
const pool = createSshPool();
afterAll(() => pool.close());
afterEach(async () => {
  await setLabLink(lab(), 'h3', true);
});

async function startOnH3(extra: Record<string, unknown>) {
  const target = sshTarget('h3', hostOptions(lab(), 'h3', extra));
  const runner = createSshRunner(labSettings(lab()), { pool });
  const attempt = sshAttempt({ argv: ['sh', '-c', 'echo ready; sleep 60'], target });
  const running = runner.run(attempt.ctx);
  await until(() => attempt.stdout.bytes().toString().includes('ready'), 10_000);
  const [process] = attempt.processes;
  if (!process) throw new Error('no process reported');
  return { target, attempt, running, process };
}

/** The command kept running on the unreachable host; once it is back, `recover` can stop it (as it would, through the runner). */
async function recoverLeftover(target: ReturnType<typeof sshTarget>, process: ProcessInfo): Promise<void> {
  expect(livePidsInGroup(process.pgid).length).toBeGreaterThan(0);
  const runner = createSshRunner(labSettings(lab()), { pool });
  const log = pino({ level: 'silent' });
  expect(await runner.stopLeftover?.(process, log)).toBe(false);
  expect(livePidsInGroup(process.pgid).length).toBeGreaterThan(0);
  expect(await runner.stopLeftover?.(process, log, { target, options: {}, baseDir: lab().dir })).toBe(true);
  expect(livePidsInGroup(process.pgid)).toEqual([]);
}

describe('a host that drops off mid-step', () => {
  it('is reported as CONNECTION_LOST once keepalives go unanswered', async () => {
    const { target, running, process } = await startOnH3({ keepaliveInterval: '500ms', keepaliveCountMax: 2 });
    const cutAt = performance.now();
    await setLabLink(lab(), 'h3', false);
    const observation = await running;
    const tookMs = performance.now() - cutAt;
    expect(observation.error).toEqual({
      code: 'CONNECTION_LOST',
      message:
        `connection to ${labHost(lab(), 'h3').address} (${labHost(lab(), 'h3').address}:22) lost while the command ran: Keepalive timeout;` +
        ` its process group ${process.pgid} may still be running on the host (it could not be reached to stop it)`,
    });
    // Keepalives: 2 × 500 ms unanswered; then one bounded (3 s) attempt to reconnect and stop the command.
    expect(tookMs).toBeLessThan(6_500);
    await setLabLink(lab(), 'h3', true);
    await recoverLeftover(target, process);
  });

  it('fails within the step timeout plus a few seconds when the timeout fires first', async () => {
    const { target, attempt, running, process } = await startOnH3({});
    await setLabLink(lab(), 'h3', false);
    const timeoutAt = performance.now();
    attempt.controller.abort(new Error('timeout'));
    const observation = await running;
    const tookMs = performance.now() - timeoutAt;
    expect(observation.error?.code).toBe('CONNECTION_LOST');
    expect(observation.error?.message).toContain(`its process group ${process.pgid} may still be running on the host`);
    // A 3 s channel attempt on the silent connection, then a 3 s reconnect attempt.
    expect(tookMs).toBeLessThan(8_000);
    await setLabLink(lab(), 'h3', true);
    await recoverLeftover(target, process);
  });

  it('works again once the link is back (a new connection)', async () => {
    const runner = createSshRunner(labSettings(lab()), { pool });
    const observation = await runner.run(sshAttempt({ argv: ['hostname'], target: sshTarget('h3', hostOptions(lab(), 'h3')) }).ctx);
    expect(observation.stdout?.text).toBe('h3\n');
  });
});
