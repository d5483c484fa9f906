/**
 * Host aliases from an OpenSSH client config (~/.ssh/config or the file `--ssh-config` names): HostName,
 * User, Port, IdentityFile, ProxyJump, UserKnownHostsFile, HostKeyAlias, ConnectTimeout,
 * ServerAliveInterval/CountMax. `Match exec` is never evaluated; `Include` is not followed.
 */
import { readFile } from 'node:fs/promises';
import { homedir, userInfo } from 'node:os';
import { isAbsolute, join } from 'node:path';
import SSHConfig from 'ssh-config';
import { SshError } from './errors.js';

/** Run-wide inputs of the ssh runner: which client config to read, and the environment (HOME, SSH_AUTH_SOCK). */
export interface SshSettings {
  /** A config file; `false` reads none; undefined reads ~/.ssh/config when it exists. */
  configFile?: string | false | undefined;
  env?: Readonly<Record<string, string | undefined>> | undefined;
}

export interface SshConfigEntry {
  hostName?: string;
  user?: string;
  port?: number;
  identityFiles: string[];
  proxyJump?: string;
  knownHostsFiles: string[];
  hostKeyAlias?: string;
  connectTimeoutMs?: number;
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
}

export interface LoadedSshConfig {
  /** The file read, for error messages; undefined when none was. */
  file: string | undefined;
  lookup(alias: string): SshConfigEntry;
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

const noConfig: LoadedSshConfig = { file: undefined, lookup: () => ({ identityFiles: [], knownHostsFiles: [] }) };

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function all(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : value.split(/\s+/).filter(Boolean);
}

function seconds(value: string | undefined, file: string, name: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0) throw new SshError('SSH_CONFIG', `${file}: ${name} ${value} is not a number of seconds`);
  return number * 1_000;
}

/** Read the config the settings name (once per run). A named file must exist; the default may not. */
export async function loadSshConfig(settings: SshSettings): Promise<LoadedSshConfig> {
  if (settings.configFile === false) return noConfig;
  const file = settings.configFile ?? join(homeOf(settings), '.ssh', 'config');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (settings.configFile === undefined && (error as { code?: unknown }).code === 'ENOENT') return noConfig;
    throw new SshError('SSH_CONFIG', `cannot read ssh config ${file}: ${(error as Error).message}`, { cause: error });
  }
  let parsed: SSHConfig;
  try {
    parsed = SSHConfig.parse(text);
  } catch (error) {
    throw new SshError('SSH_CONFIG', `cannot parse ssh config ${file}: ${(error as Error).message}`, { cause: error });
  }
  return {
    file,
    lookup(alias) {
      const values = parsed.compute(alias, { ignoreCase: true, matchExec: false });
      const port = first(values.port);
      const portNumber = port === undefined ? undefined : Number(port);
      if (portNumber !== undefined && !(Number.isInteger(portNumber) && portNumber >= 1 && portNumber <= 65_535)) {
        throw new SshError('SSH_CONFIG', `${file}: Port ${port} of host ${alias} is not a port number`);
      }
      const keepaliveCount = first(values.serveralivecountmax);
      const entry: SshConfigEntry = { identityFiles: all(values.identityfile), knownHostsFiles: all(values.userknownhostsfile) };
      const set = <K extends keyof SshConfigEntry>(key: K, value: SshConfigEntry[K] | undefined): void => {
        if (value !== undefined) entry[key] = value;
      };
      set('hostName', first(values.hostname));
      set('user', first(values.user));
      set('port', portNumber);
      set('proxyJump', first(values.proxyjump));
      set('hostKeyAlias', first(values.hostkeyalias));
      set('connectTimeoutMs', seconds(first(values.connecttimeout), file, 'ConnectTimeout'));
      set('keepaliveIntervalMs', seconds(first(values.serveraliveinterval), file, 'ServerAliveInterval'));
      set('keepaliveCountMax', keepaliveCount === undefined ? undefined : Number(keepaliveCount));
      return entry;
    },
  };
}

/** OpenSSH `%` tokens in HostName, IdentityFile and UserKnownHostsFile. Unknown tokens are an error. */
export function expandTokens(text: string, tokens: Readonly<Record<string, string>>, where: string): string {
  return text.replace(/%(.)/g, (_match, letter: string) => {
    if (letter === '%') return '%';
    const value = tokens[letter];
    if (value === undefined) throw new SshError('SSH_CONFIG', `${where}: unsupported token %${letter} in ${JSON.stringify(text)}`);
    return value;
  });
}
