/**
 * The command line sent for one step. A short POSIX preamble reports the remote shell's pid, process
 * group, session, kernel start time and (for root on a cgroup v2 host) the cgroup it moved itself into,
 * on stderr (one marker line carrying a per-attempt nonce), exports the attempt's run token, then
 * `exec`s the quoted argv, so the reported pid IS the command. The login shell must understand POSIX
 * single quotes (sh, dash, bash, ksh, zsh; not csh or fish). sshd (OpenSSH) starts every non-pty session
 * in a new session, so that session and group hold the command and everything it spawns that does not
 * leave them; what leaves them (setsid) still carries the run token and, under root, stays in the cgroup.
 */
import { runTokenVariable } from '../shared/stop-report.js';
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
  /** Random per attempt (lowercase hex): exported as DRILLBOOK_RUN_TOKEN, so every descendant carries it. */
  token: string;
}

export const markerPrefix = 'drillbook:';
const envName = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Moves the wrapper ($1) into a new cgroup `drillbook-TOKEN` ($2) under its own, when cgroup v2 is
 * mounted, that cgroup is writable and can be killed as a whole (cgroup.kill); prints its path. Empty
 * siblings left by earlier steps are removed. Run by /bin/sh, whatever the login shell.
 */
const cgroupScript = [
  'p=; m=',
  'while read -r l; do case $l in 0::*) p=${l#0::} ;; esac; done </proc/$1/cgroup',
  'while read -r a b c d e r; do case $r in *" - cgroup2 "*) m=$e; break ;; esac; done </proc/self/mountinfo',
  '[ -n "$p" ] && [ -n "$m" ] || exit 0',
  'd="$m${p%/}/drillbook-$2"',
  'mkdir "$d" 2>/dev/null || exit 0',
  'if [ -e "$d/cgroup.kill" ] && echo "$1" 2>/dev/null >"$d/cgroup.procs" && grep -q "^0::.*/drillbook-$2$" /proc/$1/cgroup; then',
  '  for o in "${d%/*}"/drillbook-*; do [ "$o" = "$d" ] || rmdir "$o" 2>/dev/null; done',
  '  echo "$d"',
  'else rmdir "$d" 2>/dev/null; fi',
].join('\n');

/**
 * Reads pid, process group (field 5), session (6) and start time (22) of /proc/$$/stat with `read` alone,
 * which splits fields the same way in sh, dash, bash, ksh and zsh and forks nothing; `ps` where there is
 * no /proc. The cgroup is only tried where /sys/fs/cgroup is writable (root), so other steps fork nothing.
 */
function preamble(nonce: string, token: string): string {
  const skip = (count: number): string => Array.from({ length: count }, () => 'x').join(' ');
  return [
    'g= s= t= c=',
    `if [ -r /proc/$$/stat ]; then read -r ${skip(4)} g s ${skip(15)} t x </proc/$$/stat; fi`,
    `[ -n "$g" ] || g=$(ps -o pgid= -p $$ | tr -d ' ')`,
    `if [ -w /sys/fs/cgroup ] || [ -w /sys/fs/cgroup/unified ]; then c=$(/bin/sh -c ${quoteForShell(cgroupScript)} sh $$ ${token} 2>/dev/null); fi`,
    `export ${runTokenVariable}=${token}`,
    `printf '${markerPrefix}${nonce} %s %s %s %s %s\\n' "$$" "$g" "\${t:--}" "\${s:--}" "\${c:--}" >&2`,
  ].join('; ');
}

/** The full command line for `argv`. Throws INVALID_ARGUMENT/SSH_CONFIG before anything is sent. */
export function buildRemoteCommand(argv: readonly string[], options: RemoteCommandOptions): string {
  if (argv.length === 0 || argv[0] === '') throw new SshError('SSH_CONFIG', 'the step has no command to run');
  if (!/^[0-9a-f]{8,64}$/.test(options.nonce)) throw new RangeError('nonce must be lowercase hex');
  if (!/^[0-9a-f]{16,64}$/.test(options.token)) throw new RangeError('run token must be lowercase hex');
  const parts = [preamble(options.nonce, options.token)];
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
  /** Session id, when the host has /proc. */
  sid?: number;
  /** Kernel start time (clock ticks since boot), when the host has /proc. */
  startTime?: string;
  /** The cgroup the wrapper moved itself into, when it could make one. */
  cgroup?: string;
}

/** The marker line's facts, or undefined when `line` is not the marker for `nonce`. */
export function parseMarker(line: string, nonce: string): RemoteProcess | undefined {
  const prefix = `${markerPrefix}${nonce} `;
  if (!line.startsWith(prefix)) return undefined;
  const rest = line.slice(prefix.length).trim();
  const [pid, pgid, startTime, sid] = rest.split(/\s+/);
  // The cgroup path comes last and is taken whole.
  const cgroup = rest.split(/\s+/).slice(4).join(' ');
  const pidNumber = Number(pid);
  const pgidNumber = Number(pgid);
  const sidNumber = Number(sid);
  if (!Number.isSafeInteger(pidNumber) || pidNumber <= 1) return undefined;
  return {
    pid: pidNumber,
    pgid: Number.isSafeInteger(pgidNumber) && pgidNumber > 1 ? pgidNumber : pidNumber,
    ...(Number.isSafeInteger(sidNumber) && sidNumber > 1 ? { sid: sidNumber } : {}),
    ...(startTime !== undefined && /^\d+$/.test(startTime) ? { startTime } : {}),
    ...(cgroup.startsWith('/') ? { cgroup } : {}),
  };
}
