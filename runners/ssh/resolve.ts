/**
 * From a target's options (plus the ssh client config) to the concrete hosts to connect to: address,
 * user, keys, host key policy, the route (bastion chain or proxy command), timeouts. Fields the target
 * writes act as `ssh` command-line options: they are in force before the config is read and win over it.
 * Reads no files itself (the config was loaded once); only a `Match exec` line runs a command.
 */
import { createHash } from 'node:crypto';
import { hostname as localHostname } from 'node:os';
import { parseDuration, type SshJumpOptions, sshTargetDefaults, type SshTargetOptions } from '../../src/runner-contract.js';
import { SshError } from './errors.js';
import type { HostKeyPolicy } from './host-key.js';
import {
  expandTokens,
  homeOf,
  localUserOf,
  parseJumpHop,
  resolveUserPath,
  type LoadedSshConfig,
  type SshConfigEntry,
  type SshSettings,
} from './ssh-config.js';

/** A ProxyCommand as it will run: `shell -c line`, the connection on its stdin and stdout. */
export interface ProxyCommand {
  /** `exec COMMAND` with the tokens expanded, exactly what the shell receives. */
  line: string;
  /** `$SHELL`, else /bin/sh (as OpenSSH). */
  shell: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Where it was configured: `FILE line N`. */
  origin: string;
}

export interface ResolvedHost {
  /** The host as the scenario (or ProxyJump) names it: what messages and the record show. */
  label: string;
  hostname: string;
  port: number;
  user: string;
  /** Private keys to offer, in order; `defaultIdentities` ones may be missing. */
  identityFiles: string[];
  defaultIdentities: boolean;
  /** IdentitiesOnly: offer only `identityFiles`, the agent only for those keys. */
  identitiesOnly: boolean;
  /** Name of the secret holding the passphrase of the identity files. */
  passphraseSecret?: string;
  /** ssh-agent socket. */
  agent?: string;
  hostKey: HostKeyPolicy;
  /** Reached through this bastion (ProxyJump or the target's `jump`) … */
  jump?: ResolvedHost;
  /** … or over a ProxyCommand's standard input and output (never both). */
  proxyCommand?: ProxyCommand;
  /** AddressFamily inet / inet6 of a direct connection. */
  family?: 4 | 6;
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
/** OpenSSH's default identities that ssh2 can use, in OpenSSH's order. */
const defaultIdentityNames = ['id_rsa', 'id_ecdsa', 'id_ed25519'] as const;
const defaultGlobalKnownHosts = ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'] as const;

function durationMs(text: string | undefined, fallback: number, what: string): number {
  if (text === undefined) return fallback;
  const ms = parseDuration(text);
  if (ms === undefined) throw new SshError('SSH_CONFIG', `${what} ${JSON.stringify(text)} is not a duration`);
  return ms;
}

function where(entry: SshConfigEntry, field: keyof SshConfigEntry, label: string): string {
  const origin = entry.origins[field];
  return origin ? `${origin.file} line ${origin.line}: ${String(field)} of ${label}` : `${String(field)} of ${label}`;
}

/** The tokens of IdentityFile, UserKnownHostsFile and IdentityAgent (OpenSSH 9.2's list). */
function pathTokens(host: string, port: number, user: string, alias: string, keyAlias: string | undefined, settings: SshSettings): Record<string, string> {
  const thisHost = localHostname();
  return {
    C: createHash('sha1').update(`${thisHost}${host}${port}${user}`).digest('hex'),
    L: thisHost.split('.')[0] ?? thisHost,
    d: homeOf(settings),
    h: host,
    i: String(process.getuid?.() ?? ''),
    k: keyAlias ?? host,
    l: thisHost,
    n: alias,
    p: String(port),
    r: user,
    u: localUserOf(settings),
  };
}

/** `~` first, then `${VAR}` and `%` tokens, as OpenSSH expands IdentityFile and friends. */
function expandPath(text: string, tokens: Record<string, string>, rc: ResolveContext, what: string): string {
  const home = homeOf(rc.settings);
  const tilde = text === '~' ? home : text.startsWith('~/') ? `${home}/${text.slice(2)}` : text;
  if (tilde.startsWith('~')) throw new SshError('SSH_CONFIG', `${what}: ~user paths (${text}) are not supported; write the folder out`);
  return resolveUserPath(expandTokens(tilde, tokens, what, rc.settings.env ?? process.env), rc.baseDir, home);
}

function hostKeyPolicy(connection: Connection, entry: SshConfigEntry, label: string, rc: ResolveContext, tokens: Record<string, string>): HostKeyPolicy {
  const home = homeOf(rc.settings);
  if (connection.insecureAcceptAnyHostKey) return { kind: 'insecure' };
  if (connection.hostKey !== undefined) {
    return { kind: 'pins', fingerprints: typeof connection.hostKey === 'string' ? [connection.hostKey] : connection.hostKey };
  }
  const alias = entry.hostKeyAlias === undefined ? {} : { alias: entry.hostKeyAlias };
  if (connection.knownHosts !== undefined) {
    return { kind: 'known-hosts', files: [{ path: resolveUserPath(connection.knownHosts, rc.baseDir, home), required: true }], ...alias };
  }
  const user = entry.knownHostsFiles?.map((file) => expandPath(file, tokens, rc, where(entry, 'knownHostsFiles', label))) ?? [
    `${home}/.ssh/known_hosts`,
    `${home}/.ssh/known_hosts2`,
  ];
  const global = entry.globalKnownHostsFiles?.map((file) => resolveUserPath(file, rc.baseDir, home)) ?? [...defaultGlobalKnownHosts];
  return { kind: 'known-hosts', files: [...user, ...global].map((path) => ({ path, required: false })), ...alias };
}

function agentOf(connection: Connection, entry: SshConfigEntry, label: string, rc: ResolveContext, tokens: Record<string, string>): string | undefined {
  const env = rc.settings.env ?? process.env;
  if (typeof connection.agent === 'string') return resolveUserPath(connection.agent, rc.baseDir, homeOf(rc.settings));
  if (connection.agent === false) return undefined;
  let agent: string | undefined = env.SSH_AUTH_SOCK;
  if (connection.agent === undefined && entry.identityAgent !== undefined) {
    const configured = entry.identityAgent;
    if (configured.toLowerCase() === 'none') agent = undefined;
    else if (configured === 'SSH_AUTH_SOCK') agent = env.SSH_AUTH_SOCK;
    else if (/^\$[A-Za-z_][A-Za-z0-9_]*$/.test(configured)) agent = env[configured.slice(1)];
    else agent = expandPath(configured, tokens, rc, where(entry, 'identityAgent', label));
  }
  if (connection.agent === true && agent === undefined) {
    throw new SshError('SSH_CONFIG', `${label}: agent: true, but SSH_AUTH_SOCK is not set (no ssh-agent is running for this process)`);
  }
  return agent;
}

/**
 * One host. `via` forces the bastion (a later hop of a ProxyJump list, reached through the earlier
 * ones); otherwise the target's `jump`, or the config's ProxyJump or ProxyCommand, decides.
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
  const entry = rc.config.lookup(label, { user: connection.user, port: connection.port });
  const home = homeOf(rc.settings);
  // ssh connects to (and looks keys up for) the host name in lower case.
  const hostname = (entry.hostName === undefined ? label : expandTokens(entry.hostName, { h: label }, where(entry, 'hostName', label))).toLowerCase();
  const port = connection.port ?? entry.port ?? sshTargetDefaults.port;
  const user = connection.user ?? entry.user ?? localUserOf(rc.settings);
  const tokens = pathTokens(hostname, port, user, label, entry.hostKeyAlias, rc.settings);

  const explicitIdentity = connection.identityFile === undefined ? [] : [resolveUserPath(connection.identityFile, rc.baseDir, home)];
  const configIdentities = entry.identityFiles.map((file) => expandPath(file, tokens, rc, where(entry, 'identityFiles', label)));
  const identityFiles = [...explicitIdentity, ...configIdentities.filter((file) => !explicitIdentity.includes(file))];
  const defaultIdentities = identityFiles.length === 0;
  if (defaultIdentities) identityFiles.push(...defaultIdentityNames.map((name) => `${home}/.ssh/${name}`));
  const identitiesOnly = entry.identitiesOnly ?? false;
  const agent = agentOf(connection, entry, label, rc, tokens);

  const withKnownHosts = { ...connection, ...(connection.knownHosts === undefined && inherited.knownHosts !== undefined ? { knownHosts: inherited.knownHosts } : {}) };
  const hostKey = hostKeyPolicy(withKnownHosts, entry, label, rc, tokens);

  let jump = via;
  let proxyCommand: ProxyCommand | undefined;
  if (!jump) {
    const route = routeOf(connection, entry, rc, depth, withKnownHosts.knownHosts);
    jump = route.jump;
    if (route.proxyCommand !== undefined) {
      const env = rc.settings.env ?? process.env;
      const line = expandTokens(`exec ${route.proxyCommand}`, { h: hostname, n: label, p: String(port), r: user }, where(entry, 'proxyCommand', label));
      const origin = entry.origins.proxyCommand;
      proxyCommand = { line, shell: env.SHELL || '/bin/sh', env, origin: origin ? `${origin.file} line ${origin.line}` : 'ProxyCommand' };
    }
  }
  const fromConfig = (ms: number | undefined, fallback: number): number => ms ?? fallback;
  const connectTimeoutMs = durationMs(connection.connectTimeout, fromConfig(entry.connectTimeoutMs, sshTargetDefaults.connectTimeoutMs), `${label}: connectTimeout`);
  const keepaliveIntervalMs = durationMs(connection.keepaliveInterval, fromConfig(entry.keepaliveIntervalMs, sshTargetDefaults.keepaliveIntervalMs), `${label}: keepaliveInterval`);
  const keepaliveCountMax = connection.keepaliveCountMax ?? entry.keepaliveCountMax ?? sshTargetDefaults.keepaliveCountMax;
  const family = entry.addressFamily === 'inet' ? 4 : entry.addressFamily === 'inet6' ? 6 : undefined;
  // The label is part of it: two names for one address are two hosts of a group, with their own connections.
  const key = JSON.stringify([
    label,
    hostname,
    port,
    user,
    identityFiles,
    identitiesOnly,
    agent ?? null,
    connection.passphrase ?? null,
    hostKey,
    jump?.key ?? null,
    proxyCommand?.line ?? null,
    family ?? null,
  ]);
  return {
    label,
    hostname,
    port,
    user,
    identityFiles,
    defaultIdentities,
    identitiesOnly,
    ...(connection.passphrase === undefined ? {} : { passphraseSecret: connection.passphrase }),
    ...(agent === undefined ? {} : { agent }),
    hostKey,
    ...(jump ? { jump } : {}),
    ...(proxyCommand ? { proxyCommand } : {}),
    ...(family === undefined ? {} : { family }),
    connectTimeoutMs,
    keepaliveIntervalMs,
    keepaliveCountMax,
    key,
  };
}

/**
 * The bastion from the target's `jump` (it wins, as `ssh -J` does), else the config's ProxyJump
 * (`a,b`: a first, b through a) or ProxyCommand: whichever the config set first.
 */
function routeOf(
  connection: Connection,
  entry: SshConfigEntry,
  rc: ResolveContext,
  depth: number,
  knownHosts: string | undefined,
): { jump?: ResolvedHost; proxyCommand?: string } {
  if (typeof connection.jump === 'string') {
    throw new SshError('SSH_CONFIG', `${connection.host}: jump target \`${connection.jump}\` was not resolved (the validator inlines jump targets)`);
  }
  if (connection.jump !== undefined) {
    const { host } = connection.jump;
    if (host === undefined) throw new SshError('SSH_CONFIG', `${connection.host}: the jump host has no \`host\``);
    return { jump: resolveConnection({ ...connection.jump, host }, rc, depth + 1, {}) };
  }
  if (entry.proxyCommand !== undefined) return { proxyCommand: entry.proxyCommand };
  if (entry.proxyJump === undefined) return {};
  let jump: ResolvedHost | undefined;
  for (const spec of entry.proxyJump.split(',')) {
    const hop = parseJumpHop(spec);
    if (!hop) throw new SshError('SSH_CONFIG', `${where(entry, 'proxyJump', connection.host)}: hop ${JSON.stringify(spec)} is not [user@]host[:port]`);
    jump = resolveConnection(hop, rc, depth + 1, knownHosts === undefined ? {} : { knownHosts }, jump);
  }
  return jump ? { jump } : {};
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
