/** Targets and attempt contexts for ssh runner tests, built from the lab's facts. Never reads the real ~/.ssh. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AttemptContext, RunnerSettings } from '../../../src/runner-contract.js';
import type { Target } from '../../../src/scenario/types.js';
import { labHost, type SshLabFacts } from '../../lab/lab.js';
import { createTestAttempt, type TestAttempt, type TestAttemptOptions } from '../attempt-context.js';

export function sshTarget(name: string, options: Record<string, unknown>): Target {
  return { name, kind: 'ssh', options };
}

/** The loopback sshd, key file auth, pinned host key, no agent. */
export function loopbackOptions(lab: SshLabFacts, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { host: '127.0.0.1', port: lab.loopback.port, user: lab.user, identityFile: lab.clientKey, hostKey: lab.loopback.hostKey, agent: false, ...extra };
}

/** A namespace host of the lab, same credentials. */
export function hostOptions(lab: SshLabFacts, name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const host = labHost(lab, name);
  return { host: host.address, user: lab.user, identityFile: lab.clientKey, hostKey: host.hostKey, agent: false, ...extra };
}

/** No ssh config, and a HOME without .ssh, so nothing of this machine's user is read. */
export function labSettings(lab: SshLabFacts, extra: RunnerSettings = {}): RunnerSettings {
  return { sshConfigFile: false, env: { HOME: join(lab.dir, 'client-home'), USER: 'drillbook-test' }, ...extra };
}

export function passphraseOf(lab: SshLabFacts): string {
  return readFileSync(lab.passphraseFile, 'utf8');
}

export type SshTestAttempt = TestAttempt & { ctx: AttemptContext };

/** A test attempt; `secrets` answers `ctx.secret(name)`. */
export function sshAttempt(options: TestAttemptOptions & { secrets?: Record<string, string> } = {}): SshTestAttempt {
  const { secrets, ...rest } = options;
  const attempt = createTestAttempt(rest);
  if (secrets) attempt.ctx.secret = (name: string) => secrets[name];
  return attempt;
}
