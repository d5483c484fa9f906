/**
 * The OpenSSH client config (~/.ssh/config, or the file `--ssh-config` names) resolved for one host the
 * way `ssh` resolves it (readconf.c): every line read in order, `Host`/`Match` switching lines on and
 * off, `Include`d files read in place (conditionally inside a Host/Match block), the first value
 * obtained for a keyword wins, `Match final` triggers the second pass. Keywords and what drillbook does
 * with each are listed in ssh-config-keywords.ts; one that drillbook cannot honour and that is set for
 * the host is an SSH_CONFIG error naming its file and line. /etc/ssh/ssh_config is not read.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { homedir, hostname as localHostname, userInfo } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { SshError } from './errors.js';
import { readConfigTree, type ConfigFile, type ConfigLine } from './ssh-config-files.js';
import { isHarmless, keywordRule, type KeywordRule } from './ssh-config-keywords.js';
import { convtime, matchHostname, matchPattern, matchPatternList, parseFlag, parsePort, strdelim } from './ssh-config-text.js';

/** Run-wide inputs of the ssh runner: which client config to read, and the environment (HOME, SSH_AUTH_SOCK). */
export interface SshSettings {
  /** A config file; `false` reads none; undefined reads ~/.ssh/config when it exists. */
  configFile?: string | false | undefined;
  env?: Readonly<Record<string, string | undefined>> | undefined;
}

/** Where a value was read: `FILE line N`. */
export interface ConfigOrigin {
  file: string;
  line: number;
}

/** What the config says for one host, before drillbook's own defaults; paths and tokens as written. */
export interface SshConfigEntry {
  hostName?: string;
  user?: string;
  port?: number;
  identityFiles: string[];
  identitiesOnly?: boolean;
  identityAgent?: string;
  /** Set unless `none`. */
  proxyJump?: string;
  /** Set unless `none`. */
  proxyCommand?: string;
  /** UserKnownHostsFile; [] for `none`; undefined when not set. */
  knownHostsFiles?: string[];
  /** GlobalKnownHostsFile; [] for `none`; undefined when not set. */
  globalKnownHostsFiles?: string[];
  hostKeyAlias?: string;
  connectTimeoutMs?: number;
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  addressFamily?: 'inet' | 'inet6' | 'any';
  /** Where each of the values above came from, by field name. */
  origins: Partial<Record<string, ConfigOrigin>>;
}

/** Values the target sets itself: to OpenSSH they are command-line options, in force before the config is read. */
export interface LookupSeeds {
  user?: string | undefined;
  port?: number | undefined;
}

export interface LoadedSshConfig {
  /** The file read, for error messages; undefined when none was. */
  file: string | undefined;
  /** Every file read, includes too. */
  files: string[];
  lookup(alias: string, seeds?: LookupSeeds): SshConfigEntry;
}

export function homeOf(settings: SshSettings): string {
  return settings.env?.HOME ?? homedir();
}

export function localUserOf(settings: SshSettings): string {
  return settings.env?.USER ?? settings.env?.LOGNAME ?? userInfo().username;
}

/** `~/x` against the home folder, relative paths against `baseDir`. */
export function resolveUserPath(path: string, baseDir: string, home: string): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return join(home, path.slice(2));
  return isAbsolute(path) ? path : join(baseDir, path);
}

const emptyEntry = (): SshConfigEntry => ({ identityFiles: [], origins: {} });
const noConfig: LoadedSshConfig = { file: undefined, files: [], lookup: () => emptyEntry() };

/** Match exec commands get this long (OpenSSH waits forever; a drill must not). */
export const matchExecLimitMs = 30_000;

/** Read the config the settings name (once per run). A named file must exist; the default may not. */
export async function loadSshConfig(settings: SshSettings): Promise<LoadedSshConfig> {
  if (settings.configFile === false) return noConfig;
  const home = homeOf(settings);
  const file = settings.configFile ?? join(home, '.ssh', 'config');
  const count = { files: 0 };
  // As OpenSSH: the default file must not be writable by others; a file named on the command line may be.
  const root = await readConfigTree(file, { home, count }, { depth: 0, checked: settings.configFile === undefined });
  if (!root) {
    if (settings.configFile === undefined) return noConfig;
    throw new SshError('SSH_CONFIG', `cannot read ssh config ${file}: it does not exist`);
  }
  const files: string[] = [];
  const collect = (config: ConfigFile): void => {
    files.push(config.path);
    for (const line of config.lines) for (const child of line.included ?? []) collect(child);
  };
  collect(root);
  const local = { user: localUserOf(settings), home, env: settings.env ?? process.env };
  return { file, files, lookup: (alias, seeds) => lookupHost(root, alias, seeds ?? {}, local) };
}

interface Valued<T> {
  value: T;
  origin: ConfigOrigin;
}

/** OpenSSH's `Options` for the keywords drillbook reads, each with where it came from. */
interface Options {
  hostname?: Valued<string>;
  user?: Valued<string>;
  port?: Valued<number>;
  identityFiles: Valued<string>[];
  identitiesOnly?: Valued<boolean>;
  identityAgent?: Valued<string>;
  proxyCommand?: Valued<string>;
  jumpHost?: Valued<string>;
  userKnownHosts?: Valued<string[]>;
  globalKnownHosts?: Valued<string[]>;
  hostKeyAlias?: Valued<string>;
  connectTimeout?: Valued<number>;
  serverAliveInterval?: Valued<number>;
  serverAliveCountMax?: Valued<number>;
  addressFamily?: Valued<'inet' | 'inet6' | 'any'>;
  ignoreUnknown?: Valued<string>;
  /** The first line that set each refused keyword, harmless or not (the first obtained value wins). */
  refused: Map<KeywordRule, ConfigLine>;
}

interface Local {
  user: string;
  home: string;
  env: Readonly<Record<string, string | undefined>>;
}

interface Pass {
  alias: string;
  /** What `Host` patterns are matched against: the alias, or in the final pass the host name. */
  host: string;
  final: boolean;
  wantFinal: boolean;
  local: Local;
}

function originOf(line: ConfigLine): ConfigOrigin {
  return { file: line.file, line: line.line };
}

function fail(line: ConfigLine, message: string): never {
  throw new SshError('SSH_CONFIG', `${line.file} line ${line.line}: ${message}`);
}

function lookupHost(root: ConfigFile, alias: string, seeds: LookupSeeds, local: Local): SshConfigEntry {
  const seedOrigin: ConfigOrigin = { file: '(target)', line: 0 };
  const options: Options = { identityFiles: [], refused: new Map() };
  if (seeds.user !== undefined) options.user = { value: seeds.user, origin: seedOrigin };
  if (seeds.port !== undefined) options.port = { value: seeds.port, origin: seedOrigin };
  const first: Pass = { alias, host: alias, final: false, wantFinal: false, local };
  readFile(root, first, options, { active: true }, false);
  if (first.wantFinal) {
    // ssh.c: the host name (expanded, lower case) becomes both HostName and the name Host lines match.
    const canonical = canonicalHost(options, alias);
    options.hostname = { value: canonical, origin: options.hostname?.origin ?? seedOrigin };
    readFile(root, { alias, host: canonical, final: true, wantFinal: false, local }, options, { active: true }, false);
  }
  for (const [rule, line] of options.refused) {
    if (isHarmless(rule, line.args)) continue;
    const written = line.rest.length > 60 ? `${line.rest.slice(0, 60)}…` : line.rest;
    fail(line, `${rule.name} ${written} applies to ${alias}, but drillbook cannot honour it (${rule.note}); remove it or limit it to hosts drillbook does not reach`);
  }
  return entryOf(options);
}

/** HostName with %h expanded, lower case: the name ssh connects to. */
export function canonicalHost(options: { hostname?: Valued<string> | undefined }, alias: string): string {
  const name = options.hostname === undefined ? alias : expandTokens(options.hostname.value, { h: alias }, 'HostName');
  return name.toLowerCase();
}

function entryOf(options: Options): SshConfigEntry {
  const entry = emptyEntry();
  const put = <K extends keyof SshConfigEntry>(key: K, valued: Valued<NonNullable<SshConfigEntry[K]>> | undefined): void => {
    if (valued === undefined) return;
    entry[key] = valued.value;
    entry.origins[key] = valued.origin;
  };
  put('hostName', options.hostname);
  put('user', options.user);
  put('port', options.port);
  entry.identityFiles = options.identityFiles.map((file) => file.value);
  if (options.identityFiles[0]) entry.origins.identityFiles = options.identityFiles[0].origin;
  put('identitiesOnly', options.identitiesOnly);
  put('identityAgent', options.identityAgent);
  if (options.jumpHost && options.jumpHost.value.toLowerCase() !== 'none') put('proxyJump', options.jumpHost);
  if (options.proxyCommand && options.proxyCommand.value.toLowerCase() !== 'none') put('proxyCommand', options.proxyCommand);
  const files = (valued: Valued<string[]> | undefined): Valued<string[]> | undefined =>
    valued && { value: valued.value.length === 1 && valued.value[0]?.toLowerCase() === 'none' ? [] : valued.value, origin: valued.origin };
  put('knownHostsFiles', files(options.userKnownHosts));
  put('globalKnownHostsFiles', files(options.globalKnownHosts));
  put('hostKeyAlias', options.hostKeyAlias);
  const ms = (valued: Valued<number> | undefined): Valued<number> | undefined => valued && { value: valued.value * 1_000, origin: valued.origin };
  put('connectTimeoutMs', ms(options.connectTimeout));
  put('keepaliveIntervalMs', ms(options.serverAliveInterval));
  put('keepaliveCountMax', options.serverAliveCountMax);
  put('addressFamily', options.addressFamily);
  return entry;
}

function readFile(file: ConfigFile, pass: Pass, options: Options, state: { active: boolean }, neverMatch: boolean): void {
  for (const line of file.lines) {
    switch (line.keyword) {
      case 'host':
        state.active = !neverMatch && hostLineMatches(line, pass.host);
        break;
      case 'match':
        // Evaluated even where it cannot apply (Match exec runs, Match final is noticed), as OpenSSH does.
        state.active = matchLineMatches(line, pass, options) && !neverMatch;
        break;
      case 'include': {
        const outer = state.active;
        for (const included of line.included ?? []) {
          readFile(included, pass, options, state, neverMatch || !outer);
          // A Match inside an included file does not change the including file's state.
          state.active = outer;
        }
        break;
      }
      default:
        applyLine(line, options, state.active);
    }
  }
}

function hostLineMatches(line: ConfigLine, host: string): boolean {
  let active = false;
  for (const arg of line.args) {
    if (arg === '') fail(line, 'Host with an empty pattern');
    const negated = arg.startsWith('!');
    if (matchPattern(host, negated ? arg.slice(1) : arg)) {
      if (negated) return false;
      active = true;
    }
  }
  return active;
}

function matchLineMatches(line: ConfigLine, pass: Pass, options: Options): boolean {
  const { local } = pass;
  const host = pass.final ? (options.hostname?.value ?? pass.host) : options.hostname ? expandTokens(options.hostname.value, { h: pass.alias }, 'HostName') : pass.alias;
  const user = options.user?.value ?? local.user;
  const port = options.port?.value ?? 22;
  const text = line.rest;
  let at = 0;
  let result = true;
  let attributes = 0;
  const next = (): string | undefined => {
    const token = strdelim(text, at);
    if (!token) fail(line, 'Match with an unmatched quote');
    at = token.next;
    return token.token;
  };
  for (;;) {
    const written = next();
    if (written === undefined || written === '' || written.startsWith('#')) break;
    const negate = written.startsWith('!');
    const attribute = (negate ? written.slice(1) : written).toLowerCase();
    if (attribute === 'all') {
      const after = at < text.length ? next() : undefined;
      if (attributes > 1 || (after !== undefined && after !== '' && !after.startsWith('#'))) fail(line, `'${written}' cannot be combined with other Match attributes`);
      if (result) result = !negate;
      return result;
    }
    attributes += 1;
    if (attribute === 'canonical' || attribute === 'final') {
      if (attribute === 'final') pass.wantFinal = true;
      if (pass.final === negate) result = false;
      continue;
    }
    const arg = next();
    if (arg === undefined || arg === '' || arg.startsWith('#')) fail(line, `Missing Match criteria for ${attribute}`);
    let matched: boolean;
    switch (attribute) {
      case 'host':
        matched = matchHostname(host, arg) === 1;
        break;
      case 'originalhost':
        matched = matchHostname(pass.alias, arg) === 1;
        break;
      case 'user':
        matched = matchPatternList(user, arg, false) === 1;
        break;
      case 'localuser':
        matched = matchPatternList(local.user, arg, false) === 1;
        break;
      case 'exec': {
        // Skipped once an earlier criterion failed, as OpenSSH does.
        if (!result) continue;
        const thisHost = localHostname();
        const tokens = {
          C: createHash('sha1').update(`${thisHost}${host}${port}${user}`).digest('hex'),
          L: thisHost.split('.')[0] ?? thisHost,
          d: local.home,
          h: host,
          k: options.hostKeyAlias?.value ?? host,
          l: thisHost,
          n: pass.alias,
          p: String(port),
          r: user,
          u: local.user,
          i: String(process.getuid?.() ?? ''),
        };
        matched = runMatchExec(expandTokens(arg, tokens, `${line.file} line ${line.line}: Match exec`), line, local) === 0;
        break;
      }
      default:
        fail(line, `Unsupported Match attribute ${attribute} (OpenSSH 9.2 knows all, canonical, final, exec, host, originalhost, user, localuser)`);
    }
    if (matched === negate) result = false;
  }
  if (attributes === 0) fail(line, 'One or more attributes required for Match');
  return result;
}

/** `$SHELL -c COMMAND` with stdin and stdout on /dev/null; its exit status. */
function runMatchExec(command: string, line: ConfigLine, local: Local): number {
  const shell = local.env.SHELL || '/bin/sh';
  const ran = spawnSync(shell, ['-c', command], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...local.env }, timeout: matchExecLimitMs, encoding: 'utf8' });
  if (ran.error) fail(line, `Match exec ${JSON.stringify(command)} could not run: ${ran.error.message}`);
  if (ran.status === null) fail(line, `Match exec ${JSON.stringify(command)} ended by ${ran.signal ?? 'a signal'}${ran.signal === 'SIGTERM' ? ` (limit ${matchExecLimitMs} ms)` : ''}`);
  return ran.status;
}

function oneArg(line: ConfigLine, name: string): string {
  const [arg, ...extra] = line.args;
  if (arg === undefined || arg === '') fail(line, `${name}: missing argument`);
  if (extra.length > 0) fail(line, `keyword ${name} extra arguments at end of line`);
  return arg;
}

function setOnce<K extends keyof Options>(options: Options, key: K, active: boolean, value: Options[K]): void {
  if (active && options[key] === undefined) options[key] = value;
}

/** ProxyCommand/ProxyJump take the rest of the line, past any further `=` and blanks. */
function restOf(line: ConfigLine): string {
  return line.rest.replace(/^[\s=]+/, '');
}

function applyLine(line: ConfigLine, options: Options, active: boolean): void {
  const rule = keywordRule(line.keyword);
  if (!rule) {
    const ignored = options.ignoreUnknown?.value;
    if (ignored !== undefined && matchPatternList(line.keyword, ignored, true) === 1) return;
    fail(line, `Bad configuration option: ${line.keyword} (unknown to OpenSSH 9.2 and to drillbook; IgnoreUnknown skips it)`);
  }
  if (rule.kind === 'ignored') return;
  if (rule.kind === 'refused') {
    if (active && !options.refused.has(rule)) options.refused.set(rule, line);
    return;
  }
  const origin = originOf(line);
  const name = rule.name;
  switch (name.toLowerCase()) {
    case 'hostname':
      setOnce(options, 'hostname', active, { value: oneArg(line, name), origin });
      break;
    case 'user':
      setOnce(options, 'user', active, { value: oneArg(line, name), origin });
      break;
    case 'hostkeyalias':
      setOnce(options, 'hostKeyAlias', active, { value: oneArg(line, name), origin });
      break;
    case 'ignoreunknown':
      setOnce(options, 'ignoreUnknown', active, { value: oneArg(line, name), origin });
      break;
    case 'identityagent':
      setOnce(options, 'identityAgent', active, { value: oneArg(line, name), origin });
      break;
    case 'port': {
      const written = oneArg(line, name);
      const port = parsePort(written);
      if (port === undefined) fail(line, `Bad port '${written}'`);
      setOnce(options, 'port', active, { value: port, origin });
      break;
    }
    case 'identityfile': {
      const file = oneArg(line, name);
      if (active && !options.identityFiles.some((known) => known.value === file)) options.identityFiles.push({ value: file, origin });
      break;
    }
    case 'identitiesonly': {
      const flag = parseFlag(oneArg(line, name));
      if (flag === undefined) fail(line, `unsupported option "${line.args[0] ?? ''}"`);
      setOnce(options, 'identitiesOnly', active, { value: flag, origin });
      break;
    }
    case 'addressfamily': {
      const family = oneArg(line, name).toLowerCase();
      if (family !== 'inet' && family !== 'inet6' && family !== 'any') fail(line, `unsupported option "${line.args[0] ?? ''}"`);
      setOnce(options, 'addressFamily', active, { value: family, origin });
      break;
    }
    case 'connecttimeout':
    case 'serveraliveinterval': {
      const written = oneArg(line, name);
      if (written === 'none') break; // OpenSSH stores "unset": a later line may still set it.
      const seconds = convtime(written);
      if (seconds === undefined) fail(line, `invalid time value ${JSON.stringify(written)}`);
      setOnce(options, name === 'ConnectTimeout' ? 'connectTimeout' : 'serverAliveInterval', active, { value: seconds, origin });
      break;
    }
    case 'serveralivecountmax': {
      const written = oneArg(line, name);
      if (!/^\d+$/.test(written)) fail(line, `integer value ${JSON.stringify(written)} is invalid`);
      setOnce(options, 'serverAliveCountMax', active, { value: Number(written), origin });
      break;
    }
    case 'userknownhostsfile':
    case 'globalknownhostsfile': {
      if (line.args.length === 0) fail(line, `${name}: missing argument`);
      if (line.args.length > 1 && line.args.some((arg) => arg.toLowerCase() === 'none')) fail(line, `keyword ${name} "none" argument must appear alone`);
      setOnce(options, name === 'UserKnownHostsFile' ? 'userKnownHosts' : 'globalKnownHosts', active, { value: [...line.args], origin });
      break;
    }
    case 'proxycommand':
      // The first of ProxyJump and ProxyCommand wins: a ProxyJump seen earlier leaves this one unused.
      if (options.jumpHost === undefined) setOnce(options, 'proxyCommand', active, { value: restOf(line), origin });
      break;
    case 'proxyjump': {
      const cut = restOf(line);
      const value = (cut.includes('#') ? cut.slice(0, cut.indexOf('#')) : cut).trimEnd();
      if (value.toLowerCase() !== 'none') {
        for (const hop of value.split(',')) {
          if (parseJumpHop(hop) === undefined) fail(line, `Invalid ProxyJump "${value}"`);
        }
      }
      if (active && options.proxyCommand === undefined && options.jumpHost === undefined) {
        options.jumpHost = { value, origin };
        // As OpenSSH: a jump host also settles ProxyCommand.
        if (value.toLowerCase() !== 'none') options.proxyCommand = { value: 'none', origin };
      }
      break;
    }
    default:
      fail(line, `${name} is listed as supported but has no reader (a drillbook bug)`);
  }
}

export interface JumpHop {
  host: string;
  user?: string;
  port?: number;
}

/** One ProxyJump hop: `[user@]host[:port]`, `[user@][v6]:port`, or `ssh://[user@]host[:port]`. */
export function parseJumpHop(spec: string): JumpHop | undefined {
  const text = spec.trim().replace(/^ssh:\/\//i, '').replace(/\/$/, '');
  const match = /^(?:([^@]+)@)?(?:\[([^\]]+)\]|([^:@[\]/\s]+))(?::(\d+))?$/.exec(text);
  if (!match) return undefined;
  const [, user, v6, name, port] = match;
  const portNumber = port === undefined ? undefined : parsePort(port);
  if (port !== undefined && portNumber === undefined) return undefined;
  return { host: v6 ?? name ?? '', ...(user ? { user } : {}), ...(portNumber === undefined ? {} : { port: portNumber }) };
}

/**
 * OpenSSH `%` tokens (and, with `env`, `${VAR}` as for IdentityFile, UserKnownHostsFile and
 * IdentityAgent). An unknown token or an unset variable is an error, as in OpenSSH.
 */
export function expandTokens(text: string, tokens: Readonly<Record<string, string>>, where: string, env?: Readonly<Record<string, string | undefined>>): string {
  let out = '';
  for (let at = 0; at < text.length; at += 1) {
    const c = text[at];
    if (c === '%') {
      const letter = text[at + 1];
      at += 1;
      if (letter === '%') {
        out += '%';
        continue;
      }
      const value = letter === undefined ? undefined : tokens[letter];
      if (value === undefined) throw new SshError('SSH_CONFIG', `${where}: unsupported token %${letter ?? ''} in ${JSON.stringify(text)}`);
      out += value;
    } else if (c === '$' && env && text[at + 1] === '{') {
      const close = text.indexOf('}', at + 2);
      if (close === -1) throw new SshError('SSH_CONFIG', `${where}: unterminated \${ in ${JSON.stringify(text)}`);
      const name = text.slice(at + 2, close);
      const value = env[name];
      if (value === undefined) throw new SshError('SSH_CONFIG', `${where}: environment variable ${name} has no value (${JSON.stringify(text)})`);
      out += value;
      at = close;
    } else {
      out += c;
    }
  }
  return out;
}
