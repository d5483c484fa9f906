/**
 * Which credentials a connection offers, in OpenSSH's order (sshconnect2.c `pubkey_prepare`): first the
 * agent's keys that match an identity file, then the agent's other keys (not with IdentitiesOnly), then
 * the identity files the agent does not hold, read from disk. Keys are decrypted locally first, so a
 * missing or wrong passphrase is reported as such instead of as a refusal by the server. Passphrases
 * never appear in messages.
 */
import { readFile, stat } from 'node:fs/promises';
import ssh2 from 'ssh2';
import type { AnyAuthMethod, AuthHandlerMiddleware, IdentityCallback, ParsedKey, SignCallback, SigningRequestOptions } from 'ssh2';
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

function firstKey(parsed: ParsedKey | ParsedKey[] | Error): ParsedKey | Error | undefined {
  return Array.isArray(parsed) ? parsed[0] : parsed;
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
  const key = firstKey(ssh2.utils.parseKey(data, passphrase));
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

/** The public half of an identity file, as OpenSSH finds it: FILE.pub, else the key itself. */
async function publicBlobOf(file: string, loaded: ParsedKey | string): Promise<Buffer | undefined> {
  try {
    const key = firstKey(ssh2.utils.parseKey(await readFile(`${file}.pub`)));
    if (key && !(key instanceof Error)) return key.getPublicSSH();
  } catch {
    // No FILE.pub: fall back to the private key.
  }
  return typeof loaded === 'string' ? undefined : loaded.getPublicSSH();
}

async function agentUsable(agent: string): Promise<string | undefined> {
  try {
    return (await stat(agent)).isSocket() ? undefined : `${agent} is not a socket`;
  } catch {
    return `ssh-agent socket ${agent} does not exist`;
  }
}

function listAgentKeys(agent: ssh2.OpenSSHAgent): Promise<ParsedKey[]> {
  return new Promise((resolve, reject) => {
    agent.getIdentities((error, keys) => {
      if (error) reject(error);
      // OpenSSHAgent always answers with parsed keys.
      else resolve((keys ?? []).filter((key): key is ParsedKey => typeof (key as Partial<ParsedKey>).getPublicSSH === 'function'));
    });
  });
}

/** The agent as ssh2 sees it, showing only the keys chosen (in OpenSSH's order); signing is the real agent's. */
class ChosenKeysAgent extends ssh2.BaseAgent<ParsedKey> {
  constructor(
    private readonly agent: ssh2.OpenSSHAgent,
    private readonly keys: readonly ParsedKey[],
  ) {
    super();
  }

  getIdentities(cb: IdentityCallback<ParsedKey>): void {
    cb(undefined, [...this.keys]);
  }

  sign(pubKey: ParsedKey, data: Buffer, options: SigningRequestOptions | SignCallback, cb?: SignCallback): void {
    if (typeof options === 'function') this.agent.sign(pubKey, data, options);
    else this.agent.sign(pubKey, data, options, cb);
  }
}

interface Identity {
  file: string;
  key: ParsedKey | string;
  blob: Buffer | undefined;
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
  const problems: string[] = [];
  const identities: Identity[] = [];
  for (const file of host.identityFiles) {
    const key = await loadKey(file, host, passphrase);
    if (typeof key === 'string' && host.defaultIdentities && key.endsWith('does not exist')) continue;
    identities.push({ file, key, blob: await publicBlobOf(file, key) });
  }

  const methods: { method: AnyAuthMethod; label: string }[] = [];
  const viaAgent = new Set<Identity>();
  if (host.agent !== undefined) {
    const agentProblem = await agentUsable(host.agent);
    let agentKeys: ParsedKey[] = [];
    const agent = new ssh2.OpenSSHAgent(host.agent);
    if (agentProblem === undefined) {
      try {
        agentKeys = await listAgentKeys(agent);
      } catch (error) {
        problems.push(`ssh-agent ${host.agent} did not list its keys: ${(error as Error).message}`);
      }
    } else {
      problems.push(agentProblem);
    }
    const matching: ParsedKey[] = [];
    const others: ParsedKey[] = [];
    for (const key of agentKeys) {
      const blob = key.getPublicSSH();
      const identity = identities.find((candidate) => !viaAgent.has(candidate) && candidate.blob?.equals(blob));
      if (identity) {
        viaAgent.add(identity);
        matching.push(key);
      } else if (!host.identitiesOnly) {
        others.push(key);
      }
    }
    const chosen = [...matching, ...others];
    if (chosen.length > 0) {
      const parts = [
        ...[...viaAgent].map((identity) => `key ${identity.file} (from ssh-agent)`),
        ...(others.length > 0 ? [`${others.length} other ssh-agent key${others.length === 1 ? '' : 's'} (${host.agent})`] : []),
      ];
      methods.push({ method: { type: 'agent', username: host.user, agent: new ChosenKeysAgent(agent, chosen) }, label: parts.join(', ') });
    }
  }
  for (const identity of identities) {
    if (viaAgent.has(identity)) continue;
    if (typeof identity.key === 'string') problems.push(identity.key);
    else methods.push({ method: { type: 'publickey', username: host.user, key: identity.key }, label: `key ${identity.file}` });
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
