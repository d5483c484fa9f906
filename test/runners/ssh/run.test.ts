import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { connectHost } from '../../../runners/ssh/connect.js';
import { stopSshLeftover } from '../../../runners/ssh/leftover.js';
import { createSshPool } from '../../../runners/ssh/pool.js';
import { resolveTarget } from '../../../runners/ssh/resolve.js';
import { createSshRunner } from '../../../runners/ssh/run.js';
import { loadSshConfig } from '../../../runners/ssh/ssh-config.js';
import { sshTargetSchema } from '../../../src/scenario/targets/ssh.js';
import { labHost } from '../../lab/lab.js';
import { useSshLab } from '../../lab/use-ssh-lab.js';
import { livePidsInGroup, until } from '../attempt-context.js';
import { hostOptions, labSettings, loopbackOptions, passphraseOf, sshAttempt, sshTarget } from './support.js';

const lab = useSshLab();
const scratch = mkdtempSync(join(tmpdir(), 'drillbook-ssh-run-'));
const otherKey = join(scratch, 'unauthorized');
execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', otherKey]);
const wrongPin = execFileSync('ssh-keygen', ['-lf', `${otherKey}.pub`], { encoding: 'utf8' }).split(' ')[1] ?? '';
let runner: ReturnType<typeof createSshRunner>;

beforeAll(() => {
  runner = createSshRunner(labSettings(lab()));
});
afterAll(async () => {
  await runner.close?.();
  rmSync(scratch, { recursive: true, force: true });
});

const loopback = (extra: Record<string, unknown> = {}) => sshTarget('lab', loopbackOptions(lab(), extra));

describe('uses: ssh on one host', () => {
  it('keeps every byte of a large output that the sink takes slowly, after the exit status arrived', async () => {
    // OpenSSH sends the exit status while megabytes may still be in flight; a slow sink must not lose them.
    const attempt = sshAttempt({ argv: ['head', '-c', '3000000', '/dev/zero'], target: loopback() });
    const slow = new Writable({
      highWaterMark: 16 * 1024,
      write(_chunk: Buffer, _encoding, callback) {
        setTimeout(callback, 10);
      },
    });
    attempt.ctx.sink = { stdout: slow, stderr: attempt.ctx.sink.stderr };
    const observation = await runner.run(attempt.ctx);
    expect(observation.exitCode).toBe(0);
    expect(observation.stdout?.bytes).toBe(3_000_000);
    expect(observation.details?.['outputOpenAfterExit']).toBeUndefined();
  });

  it('returns exit code, both streams (also into the sinks), remote process and host key', async () => {
    const attempt = sshAttempt({ argv: ['sh', '-c', 'echo out; echo err >&2; exit 3'], target: loopback() });
    const observation = await runner.run(attempt.ctx);
    expect(observation.error).toBeUndefined();
    expect(observation.exitCode).toBe(3);
    expect(observation.stdout).toEqual({ text: 'out\n', bytes: 4, truncated: false, sha256: createHash('sha256').update('out\n').digest('hex') });
    expect(observation.stderr?.text).toBe('err\n');
    expect(attempt.stdout.bytes().toString()).toBe('out\n');
    expect(attempt.stderr.bytes().toString()).toBe('err\n');
    const [process] = attempt.processes;
    expect(process).toMatchObject({ runner: 'ssh', host: '127.0.0.1', argv: ['sh', '-c', 'echo out; echo err >&2; exit 3'] });
    expect(process?.pgid).toBe(process?.pid);
    expect(observation.details).toMatchObject({
      host: '127.0.0.1',
      user: lab().user,
      pid: process?.pid,
      hostKey: [{ host: '127.0.0.1', address: `127.0.0.1:${lab().loopback.port}`, type: 'ssh-ed25519', fingerprint: lab().loopback.hostKey, verifiedBy: 'pinned' }],
    });
  });

  it('reports a signal, a missing command, env, cwd and stdin', async () => {
    const killed = await runner.run(sshAttempt({ argv: ['sh', '-c', 'kill -TERM $$'], target: loopback() }).ctx);
    expect([killed.exitCode, killed.signal]).toEqual([undefined, 'TERM']);

    const missing = await runner.run(sshAttempt({ argv: ['no-such-command-here'], target: loopback() }).ctx);
    expect(missing.exitCode).toBe(127);
    expect(missing.stderr?.text).toContain('no-such-command-here');

    const shaped = sshAttempt({
      argv: ['sh', '-c', 'printf "%s|%s|" "$GREETING" "$(pwd)"; cat'],
      options: { env: { GREETING: "it's $HOME" }, cwd: '/tmp', input: 'from stdin' },
      target: loopback(),
    });
    const result = await runner.run(shaped.ctx);
    expect(result.stdout?.text).toBe("it's $HOME|/tmp|from stdin");
  });

  it('does not wait for a background process that keeps the output open after the command exited', async () => {
    const startedAt = performance.now();
    const observation = await runner.run(sshAttempt({ argv: ['sh', '-c', 'sleep 3 & echo done'], target: loopback() }).ctx);
    expect(observation.exitCode).toBe(0);
    expect(observation.stdout?.text).toBe('done\n');
    expect(observation.details?.outputOpenAfterExit).toBe(true);
    expect(performance.now() - startedAt).toBeLessThan(2_500);
  });

  it('keeps a bounded capture with the digest of the whole stream', async () => {
    const attempt = sshAttempt({ argv: ['head', '-c', '300000', '/dev/zero'], target: loopback(), captureLimitBytes: 1024 });
    const observation = await runner.run(attempt.ctx);
    expect(observation.stdout).toMatchObject({ bytes: 300_000, truncated: true, sha256: createHash('sha256').update(Buffer.alloc(300_000)).digest('hex') });
    expect(observation.stdout?.text.length).toBe(1024);
    expect(attempt.stdout.bytes().length).toBe(300_000);
  });

  it('runs through sudo -n as root, and reports a refused sudo as the command failing', async () => {
    const asRoot = await runner.run(sshAttempt({ argv: ['id', '-u'], options: { sudo: true }, target: loopback({ user: 'root' }) }).ctx);
    expect(asRoot.stdout?.text).toBe('0\n');
    const refused = await runner.run(sshAttempt({ argv: ['id', '-u'], options: { sudo: true }, target: loopback() }).ctx);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr?.text).toMatch(/sudo/);
  });

  it('pools connections: the next attempt reuses one, close() ends them', async () => {
    const pool = createSshPool();
    const own = createSshRunner(labSettings(lab()), { pool });
    const first = await own.run(sshAttempt({ argv: ['true'], target: loopback() }).ctx);
    const second = await own.run(sshAttempt({ argv: ['true'], target: loopback() }).ctx);
    expect(first.details?.connectMs).toBeGreaterThan(0);
    expect(second.details?.connectMs).toBe(0);
    await pool.close();
    expect(pool.closed).toBe(true);
    const afterClose = await own.run(sshAttempt({ argv: ['true'], target: loopback() }).ctx);
    expect(afterClose.error?.code).toBe('POOL_CLOSED');
  });
});

describe('host keys', () => {
  it('refuses a key that is not pinned before authentication, naming both fingerprints', async () => {
    const attempt = sshAttempt({ argv: ['true'], target: loopback({ hostKey: wrongPin }) });
    const observation = await runner.run(attempt.ctx);
    expect(observation.error).toEqual({
      code: 'HOST_KEY_MISMATCH',
      message:
        `host key mismatch: 127.0.0.1 (127.0.0.1:${lab().loopback.port}) presented ssh-ed25519 key ${lab().loopback.hostKey}, but hostKey pins ${wrongPin}` +
        ' (if the host was rebuilt, check its new key out of band before changing the pin); the connection was closed before authentication',
    });
    expect(observation.details?.hostKey).toEqual([expect.objectContaining({ fingerprint: lab().loopback.hostKey, verifiedBy: 'refused' })]);
    expect(attempt.processes).toEqual([]);
  });

  it('sends no authentication at all to a refused host (sshd log of that very connection)', async () => {
    const settings = labSettings(lab());
    const options = sshTargetSchema.parse(loopbackOptions(lab(), { hostKey: wrongPin }));
    const [host] = resolveTarget('lab', options, { baseDir: scratch, settings: { configFile: false, env: settings.env }, config: await loadSshConfig({ configFile: false }) }).hosts;
    if (!host) throw new Error('no host');
    const sock = connect(lab().loopback.port, '127.0.0.1');
    await new Promise((resolve) => sock.once('connect', resolve));
    const port = sock.localPort;
    await expect(connectHost(host, { sock })).rejects.toMatchObject({ code: 'HOST_KEY_MISMATCH' });
    const lines = (): string[] => readFileSync(lab().loopback.log, 'utf8').split('\n').filter((line) => line.includes(`port ${port} `) || line.endsWith(`port ${port}`));
    await until(() => lines().some((line) => line.includes('[preauth]')), 5_000);
    expect(lines().filter((line) => /publickey|Accepted|Failed|Postponed/.test(line))).toEqual([]);
  });

  it('accepts any key only with the explicit insecure flag, and still records it as unverified', async () => {
    const observation = await runner.run(sshAttempt({ argv: ['true'], target: loopback({ hostKey: undefined, insecureAcceptAnyHostKey: true }) }).ctx);
    expect(observation.exitCode).toBe(0);
    expect(observation.details?.hostKey).toEqual([expect.objectContaining({ fingerprint: lab().loopback.hostKey, verifiedBy: 'insecure' })]);
  });

  it('checks known_hosts files, hashed ones too, and refuses a host they do not list', async () => {
    for (const knownHosts of [lab().knownHosts, lab().hashedKnownHosts]) {
      const observation = await runner.run(sshAttempt({ argv: ['true'], target: loopback({ hostKey: undefined, knownHosts }) }).ctx);
      expect(observation.exitCode).toBe(0);
      expect(observation.details?.hostKey).toEqual([expect.objectContaining({ verifiedBy: `known_hosts ${knownHosts}:1` })]);
    }
    const empty = join(scratch, 'empty_known_hosts');
    writeFileSync(empty, '');
    const unknown = await runner.run(sshAttempt({ argv: ['true'], target: loopback({ hostKey: undefined, knownHosts: empty }) }).ctx);
    expect(unknown.error?.code).toBe('HOST_KEY_UNKNOWN');
    expect(unknown.error?.message).toContain(`pin it with hostKey: "${lab().loopback.hostKey}"`);
  });
});

describe('authentication', () => {
  let agent: ChildProcess | undefined;
  const agentSocket = join(scratch, 'agent.sock');
  afterAll(() => {
    agent?.kill();
  });

  it('uses keys held by a real ssh-agent', async () => {
    agent = spawn('ssh-agent', ['-D', '-a', agentSocket], { stdio: 'ignore' });
    await until(() => {
      try {
        execFileSync('ssh-add', ['-l'], { env: { SSH_AUTH_SOCK: agentSocket }, stdio: 'ignore' });
        return true;
      } catch (error) {
        return (error as { status?: number }).status === 1; // 1: agent up, no keys
      }
    });
    execFileSync('ssh-add', ['-q', lab().clientKey], { env: { SSH_AUTH_SOCK: agentSocket }, stdio: 'ignore' });
    const explicit = await runner.run(sshAttempt({ argv: ['true'], target: loopback({ identityFile: undefined, agent: agentSocket }) }).ctx);
    expect(explicit.error).toBeUndefined();
    expect(explicit.exitCode).toBe(0);
    const fromEnv = createSshRunner(labSettings(lab(), { env: { HOME: join(scratch, 'home'), SSH_AUTH_SOCK: agentSocket } }));
    try {
      const viaEnv = await fromEnv.run(sshAttempt({ argv: ['true'], target: loopback({ identityFile: undefined, agent: undefined }) }).ctx);
      expect(viaEnv.exitCode).toBe(0);
    } finally {
      await fromEnv.close?.();
    }
  });

  it('decrypts a key with the passphrase from a declared secret, and never shows it', async () => {
    // A private pool per attempt: a pooled, authenticated connection would not need the key again.
    const attemptAlone = async (target: ReturnType<typeof loopback>, secrets?: Record<string, string>) => {
      const pool = createSshPool();
      try {
        return await createSshRunner(labSettings(lab()), { pool }).run(sshAttempt({ argv: ['true'], target, ...(secrets ? { secrets } : {}) }).ctx);
      } finally {
        await pool.close();
      }
    };
    const target = loopback({ identityFile: lab().encryptedClientKey, passphrase: 'KEY_PASS' });
    const ok = await attemptAlone(target, { KEY_PASS: passphraseOf(lab()) });
    expect(ok.exitCode).toBe(0);

    const unset = await attemptAlone(target, {});
    expect(unset.error).toEqual({ code: 'SSH_CONFIG', message: '127.0.0.1: secret KEY_PASS (the key passphrase) has no value' });

    const wrong = await attemptAlone(target, { KEY_PASS: 'not-the-passphrase' });
    expect(wrong.error).toEqual({
      code: 'SSH_CONFIG',
      message: `127.0.0.1: no usable credentials: ${lab().encryptedClientKey} could not be decrypted with the passphrase from secret KEY_PASS`,
    });
    expect(JSON.stringify(wrong)).not.toContain('not-the-passphrase');

    const none = await attemptAlone(loopback({ identityFile: lab().encryptedClientKey }));
    expect(none.error?.message).toBe(`127.0.0.1: no usable credentials: ${lab().encryptedClientKey} is encrypted and no passphrase secret is set (passphrase: SECRET_NAME)`);
  });

  it('reports a key the server refuses as AUTH_FAILED, saying what was offered', async () => {
    const observation = await runner.run(sshAttempt({ argv: ['true'], target: loopback({ identityFile: otherKey }) }).ctx);
    expect(observation.error).toEqual({
      code: 'AUTH_FAILED',
      message: `authentication as ${lab().user} on 127.0.0.1 (127.0.0.1:${lab().loopback.port}) failed: offered key ${otherKey}`,
    });
  });

  it('reports a refused connection with its reason', async () => {
    const observation = await runner.run(sshAttempt({ argv: ['true'], target: loopback({ port: 1 }) }).ctx);
    expect(observation.error?.code).toBe('CONNECT_FAILED');
    expect(observation.error?.message).toMatch(/^cannot connect to 127\.0\.0\.1 \(127\.0\.0\.1:1\): ECONNREFUSED/);
  });
});

describe('reaching hosts', () => {
  it('goes through a jump host (bastion) and records both host keys', async () => {
    const [h1, h2] = [labHost(lab(), 'h1'), labHost(lab(), 'h2')];
    const target = sshTarget('inner', hostOptions(lab(), 'h2', { jump: hostOptions(lab(), 'h1') }));
    const observation = await runner.run(sshAttempt({ argv: ['sh', '-c', 'echo "$SSH_CONNECTION"; hostname'], target }).ctx);
    expect(observation.error).toBeUndefined();
    const [connection, hostname] = (observation.stdout?.text ?? '').trim().split('\n');
    expect(connection?.split(' ')[0]).toBe(h1.address);
    expect(hostname).toBe('h2');
    expect((observation.details?.hostKey as { fingerprint: string }[]).map((key) => key.fingerprint)).toEqual([h1.hostKey, h2.hostKey]);
  });

  it('reads host aliases and ProxyJump from an ssh config file', async () => {
    const config = join(scratch, 'ssh_config');
    writeFileSync(config, `Host inner\n  HostName ${labHost(lab(), 'h2').address}\n  ProxyJump h1\n\n${readFileSync(lab().sshConfig, 'utf8')}`);
    const viaConfig = createSshRunner({ sshConfigFile: config, env: { HOME: join(scratch, 'home'), USER: 'x' } });
    try {
      const observation = await viaConfig.run(sshAttempt({ argv: ['sh', '-c', 'echo "$SSH_CONNECTION"; whoami'], target: sshTarget('inner', { host: 'inner' }) }).ctx);
      expect(observation.error).toBeUndefined();
      const [connection, user] = (observation.stdout?.text ?? '').trim().split('\n');
      expect(connection?.split(' ')[0]).toBe(labHost(lab(), 'h1').address);
      expect(user).toBe(lab().user);
      expect((observation.details?.hostKey as { verifiedBy: string }[]).map((key) => key.verifiedBy)).toEqual([
        `known_hosts ${lab().knownHosts}:2`,
        `known_hosts ${lab().knownHosts}:3`,
      ]);
    } finally {
      await viaConfig.close?.();
    }
  });
});

describe('stopping a step', () => {
  async function startThenAbort(argv: string[], options: Record<string, unknown>, targetExtra: Record<string, unknown> = {}) {
    const attempt = sshAttempt({ argv, options, target: loopback(targetExtra) });
    const running = runner.run(attempt.ctx);
    await until(() => attempt.stdout.bytes().toString().includes('ready'), 10_000);
    const [process] = attempt.processes;
    if (!process) throw new Error('no process reported');
    expect(livePidsInGroup(process.pgid).length).toBeGreaterThanOrEqual(3);
    const abortedAt = performance.now();
    attempt.controller.abort(new Error('timeout'));
    const observation = await running;
    return { observation, process, stopMs: performance.now() - abortedAt };
  }

  /**
   * details.stop of a stop that found the command and its `others` processes and saw each one gone. A
   * process may die of a signal sent to another (sudo relays TERM to its command) before its own arrives:
   * it is then gone without having been signalled.
   */
  function allStopped(stop: unknown, pid: number, signalsSent: string[], others: number, method = 'session+tree+marker') {
    const { signalled, gone, ...rest } = stop as { signalled: number[]; gone: number[] };
    expect(rest).toEqual({ method, signalsSent, unconfirmed: [], allGone: true });
    expect(gone).toContain(pid);
    expect(gone).toHaveLength(others + 1);
    expect(signalled.length).toBeGreaterThan(0);
    expect(signalled.filter((signalledPid) => !gone.includes(signalledPid))).toEqual([]);
  }

  it('kills the whole remote process group on abort and confirms it is gone (ps on the host)', async () => {
    const { observation, process, stopMs } = await startThenAbort(['sh', '-c', 'sleep 300 & sleep 300 & echo ready; wait'], {});
    expect(observation.error).toBeUndefined();
    expect(observation.signal).toBe('TERM');
    allStopped(observation.details?.stop, process.pid, ['TERM'], 2);
    expect(livePidsInGroup(process.pgid)).toEqual([]);
    expect(stopMs).toBeLessThan(3_000);
  });

  it('sends KILL after the grace period to a group that ignores TERM', async () => {
    const { observation, process } = await startThenAbort(['sh', '-c', "trap '' TERM; sleep 300 & sleep 300 & echo ready; wait"], { killGrace: '300ms' });
    allStopped(observation.details?.stop, process.pid, ['TERM', 'KILL'], 2);
    expect(observation.signal).toBe('KILL');
    expect(livePidsInGroup(process.pgid)).toEqual([]);
  });

  it('stops a sudo command as root, through the cgroup it made for itself', async () => {
    const { observation, process } = await startThenAbort(['sh', '-c', 'sleep 300 & sleep 300 & echo ready; wait'], { sudo: true }, { user: 'root' });
    // sudo, which leads the session and group, the shell and its two sleeps.
    allStopped(observation.details?.stop, process.pid, ['TERM'], 3, 'cgroup');
    expect(livePidsInGroup(process.pgid)).toEqual([]);
  });

  it('never signals a group whose leader pid now belongs to another process (recover)', async () => {
    const attempt = sshAttempt({ argv: ['sh', '-c', 'echo ready; sleep 300'], target: loopback() });
    const running = runner.run(attempt.ctx);
    await until(() => attempt.stdout.bytes().toString().includes('ready'), 10_000);
    const [process] = attempt.processes;
    if (!process) throw new Error('no process reported');
    const log = pino({ level: 'silent' });
    // Another process under that pid would not carry this attempt's run token either.
    const stale = { ...process, startTime: String(Number(process.startTime) - 1), runToken: 'f'.repeat(32) };
    expect(await stopSshLeftover(loopback(), stale, { baseDir: scratch, settings: labSettings(lab()), log })).toBe(true);
    expect(livePidsInGroup(process.pgid).length).toBeGreaterThan(0);
    attempt.controller.abort();
    allStopped((await running).details?.stop, process.pid, ['TERM'], 1);
  });

  it('does not start anything once the step is already stopped', async () => {
    const attempt = sshAttempt({ argv: ['true'], target: loopback() });
    attempt.controller.abort();
    const observation = await runner.run(attempt.ctx);
    expect(observation.error?.code).toBe('CANCELLED');
    expect(attempt.processes).toEqual([]);
    await sleep(0);
  });
});
