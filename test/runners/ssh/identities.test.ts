/**
 * IdentitiesOnly against the real sshd, with a real ssh-agent holding several keys: what was offered is
 * read from sshd's own log (LogLevel VERBOSE logs every key it refused, by fingerprint).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSshPool } from '../../../runners/ssh/pool.js';
import { createSshRunner } from '../../../runners/ssh/run.js';
import { useSshLab } from '../../lab/use-ssh-lab.js';
import { until } from '../attempt-context.js';
import { passphraseOf, sshAttempt, sshTarget } from './support.js';

const lab = useSshLab();
const scratch = mkdtempSync(join(tmpdir(), 'drillbook-identities-'));
const agentSocket = join(scratch, 'agent.sock');
const strangers = ['stranger1', 'stranger2'].map((name) => join(scratch, name));
for (const key of strangers) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'stranger', '-f', key]);
const fingerprint = (file: string): string => execFileSync('ssh-keygen', ['-lf', `${file}.pub`], { encoding: 'utf8' }).split(' ')[1] ?? '';
let agent: ChildProcess | undefined;

beforeAll(async () => {
  agent = spawn('ssh-agent', ['-D', '-a', agentSocket], { stdio: 'ignore' });
  const env = { SSH_AUTH_SOCK: agentSocket };
  await until(() => {
    try {
      execFileSync('ssh-add', ['-l'], { env, stdio: 'ignore' });
      return true;
    } catch (error) {
      return (error as { status?: number }).status === 1; // 1: agent up, no keys
    }
  });
  // The strangers first: an agent offers its keys in the order they were added.
  execFileSync('ssh-add', ['-q', ...strangers, lab().clientKey], { env, stdio: 'ignore' });
  const askpass = join(scratch, 'askpass');
  writeFileSync(askpass, `#!/bin/sh\ncat ${lab().passphraseFile}\n`);
  chmodSync(askpass, 0o755);
  execFileSync('ssh-add', ['-q', lab().encryptedClientKey], { env: { ...env, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: 'none' }, stdio: 'ignore' });
});
afterAll(() => {
  agent?.kill();
  rmSync(scratch, { recursive: true, force: true });
});

/** One attempt on a private pool (a pooled, authenticated connection would not log in again). */
async function attemptWith(configLines: string[]) {
  const config = join(scratch, `config-${Math.random().toString(16).slice(2)}`);
  writeFileSync(
    config,
    ['Host lab', '  HostName 127.0.0.1', `  Port ${lab().loopback.port}`, `  User ${lab().user}`, `  UserKnownHostsFile ${lab().knownHosts}`, ...configLines.map((line) => `  ${line}`), ''].join('\n'),
  );
  const pool = createSshPool();
  const runner = createSshRunner({ sshConfigFile: config, env: { HOME: join(scratch, 'home'), USER: 'drillbook-test', SSH_AUTH_SOCK: agentSocket } }, { pool });
  try {
    return await runner.run(sshAttempt({ argv: ['true'], target: sshTarget('lab', { host: 'lab' }) }).ctx);
  } finally {
    await pool.close();
  }
}

/** sshd's "Failed publickey" lines for these keys: the keys that were offered and refused. */
function refusedOffers(keys: readonly string[]): string[] {
  const prints = keys.map(fingerprint);
  return readFileSync(lab().loopback.log, 'utf8')
    // sshd -E ends its lines with \r\n.
    .split(/\r?\n/)
    .filter((line) => line.startsWith('Failed publickey'))
    .flatMap((line) => prints.filter((print) => line.endsWith(print)));
}

describe('IdentitiesOnly with an agent holding several keys', () => {
  it('offers only the configured key, signed by the agent, and none of the agent\'s others', async () => {
    const before = refusedOffers(strangers).length;
    const observation = await attemptWith([`IdentityFile ${lab().clientKey}`, 'IdentitiesOnly yes']);
    expect(observation.error).toBeUndefined();
    expect(observation.exitCode).toBe(0);
    expect(refusedOffers(strangers)).toHaveLength(before);
  });

  it('without it, the agent\'s other keys are offered first (what the assertion above would catch)', async () => {
    const before = refusedOffers(strangers);
    const observation = await attemptWith([]);
    expect(observation.exitCode).toBe(0);
    expect(refusedOffers(strangers).slice(before.length)).toEqual(strangers.map(fingerprint));
  });

  it('uses the agent for a configured key it holds, so an encrypted key file needs no passphrase secret', async () => {
    expect(passphraseOf(lab()).length).toBeGreaterThan(0);
    const observation = await attemptWith([`IdentityFile ${lab().encryptedClientKey}`, 'IdentitiesOnly yes']);
    expect(observation.error).toBeUndefined();
    expect(observation.exitCode).toBe(0);
  });

  it('fails rather than fall back to the agent\'s other keys when the configured one is refused', async () => {
    const before = refusedOffers(strangers);
    const observation = await attemptWith([`IdentityFile ${strangers[0] ?? ''}`, 'IdentitiesOnly yes']);
    expect(observation.error).toEqual({
      code: 'AUTH_FAILED',
      message: `authentication as ${lab().user} on lab (127.0.0.1:${lab().loopback.port}) failed: offered key ${strangers[0] ?? ''} (from ssh-agent)`,
    });
    expect(refusedOffers(strangers).slice(before.length)).toEqual([fingerprint(strangers[0] ?? '')]);
  });
});
