/**
 * The command line sent for one step. A short POSIX preamble reports the remote shell's pid, process
 * group and start time on stderr (one marker line carrying a per-attempt nonce), then `exec`s the quoted
 * argv, so the reported pid IS the command and its group is the one to kill. The login shell must
 * understand POSIX single quotes (sh, dash, bash, ksh, zsh; not csh or fish). sshd (OpenSSH) starts every
 * non-pty session in a new session, so that group holds the command and everything it spawns.
 */
import { quoteArgv, quoteForShell } from './quote.js';
import { SshError } from './errors.js';

export interface RemoteCommandOptions {
  /** Run as root through `sudo -n` (never prompts; fails at once when a password would be needed). */
  sudo: boolean;
  /** Remote working folder. */
  cwd?: string | undefined;
  env?: Readonly<Record<string, string>> | undefined;
  /** Random per attempt, so command output can never be mistaken for the marker. */
  nonce: string;
}

export const markerPrefix = 'drillbook:';
const envName = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Reads pid, process group (field 5) and start time (field 22) of /proc/$$/stat with `read` alone, which
 * splits fields the same way in sh, dash, bash, ksh and zsh and forks nothing; `ps` where there is no /proc.
 */
function preamble(nonce: string): string {
  const skip = (count: number): string => Array.from({ length: count }, () => 'x').join(' ');
  return [
    'g= t=',
    `if [ -r /proc/$$/stat ]; then read -r ${skip(4)} g ${skip(16)} t x </proc/$$/stat; fi`,
    `[ -n "$g" ] || g=$(ps -o pgid= -p $$ | tr -d ' ')`,
    `printf '${markerPrefix}${nonce} %s %s %s\\n' "$$" "$g" "$t" >&2`,
  ].join('; ');
}

/** The full command line for `argv`. Throws INVALID_ARGUMENT/SSH_CONFIG before anything is sent. */
export function buildRemoteCommand(argv: readonly string[], options: RemoteCommandOptions): string {
  if (argv.length === 0 || argv[0] === '') throw new SshError('SSH_CONFIG', 'the step has no command to run');
  if (!/^[0-9a-f]{8,64}$/.test(options.nonce)) throw new RangeError('nonce must be lowercase hex');
  const parts = [preamble(options.nonce)];
  if (options.cwd !== undefined) {
    // A leading `-` would be read as an option of cd.
    const folder = options.cwd.startsWith('-') ? `./${options.cwd}` : options.cwd;
    parts.push(`cd ${quoteForShell(folder, 'the working folder')} || exit`);
  }
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (!envName.test(name)) throw new SshError('SSH_CONFIG', `environment variable name ${JSON.stringify(name)} is not a valid shell name`);
    parts.push(`export ${name}=${quoteForShell(value, `the value of ${name}`)}`);
  }
  parts.push(`exec ${quoteArgv(argv)}`);
  const script = parts.join('; ');
  // The login shell runs the script itself (no extra shell per command). Under sudo the preamble runs as
  // root, so the reported group is the one root must kill.
  return options.sudo ? `exec sudo -n -- /bin/sh -c ${quoteForShell(script)}` : script;
}

export interface RemoteProcess {
  pid: number;
  pgid: number;
  /** Kernel start time (clock ticks since boot), when the host has /proc. */
  startTime?: string;
}

/** The marker line's facts, or undefined when `line` is not the marker for `nonce`. */
export function parseMarker(line: string, nonce: string): RemoteProcess | undefined {
  const prefix = `${markerPrefix}${nonce} `;
  if (!line.startsWith(prefix)) return undefined;
  const [pid, pgid, startTime] = line.slice(prefix.length).trim().split(/\s+/);
  const pidNumber = Number(pid);
  const pgidNumber = Number(pgid);
  if (!Number.isSafeInteger(pidNumber) || pidNumber <= 1) return undefined;
  return {
    pid: pidNumber,
    pgid: Number.isSafeInteger(pgidNumber) && pgidNumber > 1 ? pgidNumber : pidNumber,
    ...(startTime !== undefined && /^\d+$/.test(startTime) ? { startTime } : {}),
  };
}
