/**
 * Which credentials a connection offers, in OpenSSH's order: ssh-agent keys, then identity files.
 * Keys are decrypted locally first, so a missing or wrong passphrase is reported as such instead of as
 * a refusal by the server. Passphrases never appear in messages.
 */
import { readFile, stat } from 'node:fs/promises';
import ssh2 from 'ssh2';
import type { AnyAuthMethod, AuthHandlerMiddleware, ParsedKey } from 'ssh2';
import { SshError } from './errors.js';
import type { ResolvedHost } from './resolve.js';

/** Looks up a declared secret by name (the engine's resolver); undefined when it has no value. */
export type SecretLookup = (name: string) => string | undefined;

export interface AuthPlan {
  handler: AuthHandlerMiddleware;
  /** What was offered so far and what could not be used, for an AUTH_FAILED message. */
  describe(): string;
}

function errorCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
}

async function loadKey(file: string, host: ResolvedHost, passphrase: string | undefined): Promise<ParsedKey | string> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (error) {
    if (host.defaultIdentities && errorCode(error) === 'ENOENT') return `${file} does not exist`;
    const code = errorCode(error);
    const why = typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
    throw new SshError('SSH_CONFIG', `${host.label}: cannot read identity file ${file}: ${why}`, { host: host.label });
  }
  const parsed = ssh2.utils.parseKey(data, passphrase);
  const key = Array.isArray(parsed) ? (parsed[0] as ParsedKey | Error | undefined) : parsed;
  if (key instanceof Error || key === undefined) {
    const text = key instanceof Error ? key.message : '';
    if (/encrypted/i.test(text) && passphrase === undefined) {
      return `${file} is encrypted and no passphrase secret is set (passphrase: SECRET_NAME)`;
    }
    if (passphrase !== undefined && /decrypt|passphrase|bad/i.test(text)) {
      return `${file} could not be decrypted with the passphrase from secret ${host.passphraseSecret ?? ''}`;
    }
    return `${file} is not a private key ssh2 can read`;
  }
  return key;
}

async function agentUsable(host: ResolvedHost): Promise<string | undefined> {
  if (host.agent === undefined) return 'no ssh-agent';
  try {
    return (await stat(host.agent)).isSocket() ? undefined : `${host.agent} is not a socket`;
  } catch {
    return `ssh-agent socket ${host.agent} does not exist`;
  }
}

/** The methods to offer `host`. Throws SSH_CONFIG when none is usable (nothing is sent to the server). */
export async function prepareAuth(host: ResolvedHost, secret: SecretLookup | undefined): Promise<AuthPlan> {
  let passphrase: string | undefined;
  if (host.passphraseSecret !== undefined) {
    passphrase = secret?.(host.passphraseSecret);
    if (passphrase === undefined) {
      throw new SshError('SSH_CONFIG', `${host.label}: secret ${host.passphraseSecret} (the key passphrase) has no value`, { host: host.label });
    }
  }
  const methods: { method: AnyAuthMethod; label: string }[] = [];
  const problems: string[] = [];
  const agentProblem = await agentUsable(host);
  if (agentProblem === undefined && host.agent !== undefined) {
    methods.push({ method: { type: 'agent', username: host.user, agent: host.agent }, label: `ssh-agent keys (${host.agent})` });
  } else if (host.agent !== undefined && agentProblem !== undefined) {
    problems.push(agentProblem);
  }
  for (const file of host.identityFiles) {
    const key = await loadKey(file, host, passphrase);
    if (typeof key === 'string') {
      if (!(host.defaultIdentities && key.endsWith('does not exist'))) problems.push(key);
    } else {
      methods.push({ method: { type: 'publickey', username: host.user, key }, label: `key ${file}` });
    }
  }
  if (methods.length === 0) {
    const why = problems.length > 0 ? problems.join('; ') : 'no identityFile, no ssh-agent and no default key in ~/.ssh';
    throw new SshError('SSH_CONFIG', `${host.label}: no usable credentials: ${why}`, { host: host.label });
  }

  const offered: string[] = [];
  const queue = [...methods];
  return {
    handler: (_methodsLeft, _partialSuccess, next) => {
      const item = queue.shift();
      if (item) offered.push(item.label);
      // ssh2 takes `false` for "nothing left to try"; its types omit it.
      (next as (method: AnyAuthMethod | false) => void)(item ? item.method : false);
    },
    describe: () => [offered.length > 0 ? `offered ${offered.join(', ')}` : 'nothing offered', ...problems].join('; '),
  };
}
