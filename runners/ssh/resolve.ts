/**
 * From a target's options (plus the ssh client config) to the concrete hosts to connect to: address,
 * user, keys, host key policy, bastion chain, timeouts. Pure apart from reading nothing: files are
 * opened only when connecting.
 */
import { parseDuration } from '../../src/scenario/duration.js';
import { sshTargetDefaults, type SshJumpOptions, type SshTargetOptions } from '../../src/scenario/targets/ssh.js';
import { SshError } from './errors.js';
import type { HostKeyPolicy } from './host-key.js';
import { expandTokens, homeOf, localUserOf, resolveUserPath, type LoadedSshConfig, type SshSettings } from './ssh-config.js';

export interface ResolvedHost {
  /** The host as the scenario (or ProxyJump) names it: what messages and the record show. */
  label: string;
  hostname: string;
  port: number;
  user: string;
  /** Private keys to offer, in order; `defaultIdentities` ones may be missing. */
  identityFiles: string[];
  defaultIdentities: boolean;
  /** Name of the secret holding the passphrase of the identity files. */
  passphraseSecret?: string;
  /** ssh-agent socket. */
  agent?: string;
  hostKey: HostKeyPolicy;
  jump?: ResolvedHost;
  connectTimeoutMs: number;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
  /** Identity of the connection in the pool: equal keys share connections. */
  key: string;
}

export interface ResolveContext {
  baseDir: string;
  settings: SshSettings;
  config: LoadedSshConfig;
}

type Connection = Omit<SshJumpOptions, 'jump'> & { jump?: string | SshJumpOptions | undefined; host: string };

const maxJumpDepth = 8;

function durationMs(text: string | undefined, fallback: number, what: string): number {
  if (text === undefined) return fallback;
  const ms = parseDuration(text);
  if (ms === undefined) throw new SshError('SSH_CONFIG', `${what} ${JSON.stringify(text)} is not a duration`);
  return ms;
}

/** `[user@]host[:port]` or `[user@][v6]:port` of a ProxyJump hop. */
function parseHop(spec: string): Connection {
  const match = /^(?:([^@]+)@)?(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(spec.trim());
  if (!match) throw new SshError('SSH_CONFIG', `ProxyJump hop ${JSON.stringify(spec)} is not [user@]host[:port]`);
  const [, user, v6, name, port] = match;
  return { host: v6 ?? name ?? '', ...(user ? { user } : {}), ...(port ? { port: Number(port) } : {}) };
}

function hostKeyPolicy(connection: Connection, fromConfig: { files: string[]; alias?: string }, rc: ResolveContext, tokens: Record<string, string>): HostKeyPolicy {
  const home = homeOf(rc.settings);
  if (connection.insecureAcceptAnyHostKey) return { kind: 'insecure' };
  if (connection.hostKey !== undefined) {
    return { kind: 'pins', fingerprints: typeof connection.hostKey === 'string' ? [connection.hostKey] : connection.hostKey };
  }
  const alias = fromConfig.alias === undefined ? {} : { alias: fromConfig.alias };
  if (connection.knownHosts !== undefined) {
    return { kind: 'known-hosts', files: [{ path: resolveUserPath(connection.knownHosts, rc.baseDir, home), required: true }], ...alias };
  }
  const configured = fromConfig.files.map((file) => resolveUserPath(expandTokens(file, tokens, 'UserKnownHostsFile'), rc.baseDir, home));
  const files = configured.length > 0 ? configured : [`${home}/.ssh/known_hosts`, `${home}/.ssh/known_hosts2`];
  return { kind: 'known-hosts', files: [...files, '/etc/ssh/ssh_known_hosts'].map((path) => ({ path, required: false })), ...alias };
}

/**
 * One host. `via` forces the bastion (a later hop of a ProxyJump list, reached through the earlier
 * ones); otherwise the target's `jump` or the config's ProxyJump decides.
 */
function resolveConnection(
  connection: Connection,
  rc: ResolveContext,
  depth: number,
  inherited: Pick<Connection, 'knownHosts'>,
  via?: ResolvedHost,
): ResolvedHost {
  if (depth > maxJumpDepth) throw new SshError('SSH_CONFIG', `more than ${maxJumpDepth} jump hosts in a row (a ProxyJump loop?)`);
  const label = connection.host;
  const entry = rc.config.lookup(label);
  const home = homeOf(rc.settings);
  const localUser = localUserOf(rc.settings);
  const hostname = expandTokens(entry.hostName ?? label, { h: label }, `HostName of ${label}`);
  const port = connection.port ?? entry.port ?? sshTargetDefaults.port;
  const user = connection.user ?? entry.user ?? localUser;
  const tokens = { h: hostname, p: String(port), r: user, u: localUser, d: home, n: label };

  const explicitIdentity = connection.identityFile === undefined ? [] : [resolveUserPath(connection.identityFile, rc.baseDir, home)];
  const configIdentities = entry.identityFiles.map((file) => resolveUserPath(expandTokens(file, tokens, `IdentityFile of ${label}`), rc.baseDir, home));
  const identityFiles = [...explicitIdentity, ...configIdentities.filter((file) => !explicitIdentity.includes(file))];
  const defaultIdentities = identityFiles.length === 0;
  if (defaultIdentities) identityFiles.push(...['id_ed25519', 'id_ecdsa', 'id_rsa'].map((name) => `${home}/.ssh/${name}`));

  let agent: string | undefined;
  if (typeof connection.agent === 'string') agent = resolveUserPath(connection.agent, rc.baseDir, home);
  else if (connection.agent !== false) agent = rc.settings.env?.SSH_AUTH_SOCK;
  if (connection.agent === true && agent === undefined) {
    throw new SshError('SSH_CONFIG', `${label}: agent: true, but SSH_AUTH_SOCK is not set (no ssh-agent is running for this process)`);
  }

  const withKnownHosts = { ...connection, ...(connection.knownHosts === undefined && inherited.knownHosts !== undefined ? { knownHosts: inherited.knownHosts } : {}) };
  const hostKey = hostKeyPolicy(withKnownHosts, { files: entry.knownHostsFiles, ...(entry.hostKeyAlias ? { alias: entry.hostKeyAlias } : {}) }, rc, tokens);

  const jump = via ?? bastionOf(connection, entry.proxyJump, rc, depth, withKnownHosts.knownHosts);
  const connectTimeoutMs = durationMs(connection.connectTimeout, entry.connectTimeoutMs ?? sshTargetDefaults.connectTimeoutMs, `${label}: connectTimeout`);
  const keepaliveIntervalMs = durationMs(connection.keepaliveInterval, entry.keepaliveIntervalMs ?? sshTargetDefaults.keepaliveIntervalMs, `${label}: keepaliveInterval`);
  const keepaliveCountMax = connection.keepaliveCountMax ?? entry.keepaliveCountMax ?? sshTargetDefaults.keepaliveCountMax;
  // The label is part of it: two names for one address are two hosts of a group, with their own connections.
  const key = JSON.stringify([label, hostname, port, user, identityFiles, agent ?? null, connection.passphrase ?? null, hostKey, jump?.key ?? null]);
  return {
    label,
    hostname,
    port,
    user,
    identityFiles,
    defaultIdentities,
    ...(connection.passphrase === undefined ? {} : { passphraseSecret: connection.passphrase }),
    ...(agent === undefined ? {} : { agent }),
    hostKey,
    ...(jump ? { jump } : {}),
    connectTimeoutMs,
    keepaliveIntervalMs,
    keepaliveCountMax,
    key,
  };
}

/** The bastion from the target's `jump`, else from the config's ProxyJump (`a,b`: a first, b through a). */
function bastionOf(
  connection: Connection,
  proxyJump: string | undefined,
  rc: ResolveContext,
  depth: number,
  knownHosts: string | undefined,
): ResolvedHost | undefined {
  if (typeof connection.jump === 'string') {
    throw new SshError('SSH_CONFIG', `${connection.host}: jump target \`${connection.jump}\` was not resolved (the validator inlines jump targets)`);
  }
  if (connection.jump !== undefined) {
    const { host } = connection.jump;
    if (host === undefined) throw new SshError('SSH_CONFIG', `${connection.host}: the jump host has no \`host\``);
    return resolveConnection({ ...connection.jump, host }, rc, depth + 1, {});
  }
  if (proxyJump === undefined || proxyJump.toLowerCase() === 'none') return undefined;
  let jump: ResolvedHost | undefined;
  for (const hop of proxyJump.split(',').map(parseHop)) {
    jump = resolveConnection(hop, rc, depth + 1, knownHosts === undefined ? {} : { knownHosts }, jump);
  }
  return jump;
}

export type SuccessRule = { kind: 'all' } | { kind: 'any' } | { kind: 'atLeast'; count: number };

export interface ResolvedTarget {
  name: string;
  /** True for `hosts: [...]`, even with one member: results are then reported per host. */
  group: boolean;
  hosts: ResolvedHost[];
  concurrency: number;
  rule: SuccessRule;
}

export function successRuleOf(rule: SshTargetOptions['success']): SuccessRule {
  if (rule === undefined || rule === 'all') return { kind: 'all' };
  if (rule === 'any') return { kind: 'any' };
  if (typeof rule === 'object') return { kind: 'atLeast', count: rule.atLeast };
  return { kind: 'atLeast', count: Number(rule.slice(rule.indexOf(':') + 1).trim()) };
}

/** Every host of a target, resolved. Throws SSH_CONFIG for anything that cannot be connected to as written. */
export function resolveTarget(name: string, options: SshTargetOptions, rc: ResolveContext): ResolvedTarget {
  const { hosts: members, concurrency, success, host, ...shared } = options;
  if (members === undefined) {
    if (host === undefined) throw new SshError('SSH_CONFIG', `target ${name}: no host`);
    return { name, group: false, hosts: [resolveConnection({ ...shared, host }, rc, 0, {})], concurrency: 1, rule: { kind: 'all' } };
  }
  const hosts = members.map((member) => {
    const own = typeof member === 'string' ? { host: member } : member;
    // A member's own pin replaces the group's; so does its port or user.
    const connection: Connection = { ...shared, ...own };
    return resolveConnection(connection, rc, 0, {});
  });
  return { name, group: true, hosts, concurrency: concurrency ?? sshTargetDefaults.concurrency, rule: successRuleOf(success) };
}
