/**
 * Reading an ssh client config and everything it `Include`s, as OpenSSH's readconf.c does: relative
 * include paths live in ~/.ssh, `~` is the home folder, globs are expanded and sorted, a pattern that
 * matches nothing is skipped, included files (and the default ~/.ssh/config) must not be writable by
 * others, and includes nest at most 16 deep. Every file is read once, up front: which files an Include
 * names never depends on the host, only whether their lines apply does (see ssh-config.ts).
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { SshError } from './errors.js';
import { argvSplit, splitConfigLine } from './ssh-config-text.js';

/** OpenSSH's READCONF_MAX_DEPTH. */
export const maxIncludeDepth = 16;
/** A bound on files read in all (a config that includes itself twice per level would otherwise read 2^16). */
const maxFiles = 1_000;

export interface ConfigLine {
  file: string;
  line: number;
  /** Lower case. */
  keyword: string;
  /** The raw text after the keyword (ProxyCommand, ProxyJump, Match read it themselves). */
  rest: string;
  args: string[];
  /** Include lines: the files their patterns matched, in order, already read. */
  included?: ConfigFile[];
}

export interface ConfigFile {
  path: string;
  lines: ConfigLine[];
}

export interface ReadContext {
  home: string;
  /** Files read so far (shared across the whole tree). */
  count: { files: number };
}

function errorCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
}

/** OpenSSH's `SSHCONF_CHECKPERM`: owned by root or the user, writable by no one else. */
async function checkPermissions(path: string): Promise<void> {
  const info = await stat(path);
  const uid = process.getuid?.();
  if ((info.uid !== 0 && uid !== undefined && info.uid !== uid) || (info.mode & 0o022) !== 0) {
    throw new SshError('SSH_CONFIG', `bad owner or permissions on ${path} (it must belong to you or root and be writable by no one else, as OpenSSH requires)`);
  }
}

/**
 * Read one config file and, recursively, its includes. Undefined when it does not exist. `checked`:
 * apply the permission rule (included files and the default ~/.ssh/config; not a file named with -F).
 */
export async function readConfigTree(path: string, rc: ReadContext, options: { depth: number; checked: boolean }): Promise<ConfigFile | undefined> {
  if (options.depth > maxIncludeDepth) {
    throw new SshError('SSH_CONFIG', `${path}: more than ${maxIncludeDepth} levels of Include (does a file include itself?)`);
  }
  rc.count.files += 1;
  if (rc.count.files > maxFiles) throw new SshError('SSH_CONFIG', `more than ${maxFiles} ssh config files included (last: ${path})`);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    // OpenSSH reads a folder as an empty file.
    if (errorCode(error) === 'EISDIR') return { path, lines: [] };
    throw new SshError('SSH_CONFIG', `cannot read ssh config ${path}: ${(error as Error).message}`, { cause: error });
  }
  if (options.checked) await checkPermissions(path);
  const lines: ConfigLine[] = [];
  const rawLines = text.split('\n');
  for (let index = 0; index < rawLines.length; index += 1) {
    const where = `${path} line ${index + 1}`;
    let split;
    try {
      split = splitConfigLine(rawLines[index] ?? '');
    } catch (error) {
      throw new SshError('SSH_CONFIG', `${where}: ${(error as Error).message}`);
    }
    if (!split) continue;
    const args = argvSplit(split.rest);
    if (!args) throw new SshError('SSH_CONFIG', `${where}: invalid quotes`);
    const entry: ConfigLine = { file: path, line: index + 1, keyword: split.keyword, rest: split.rest, args };
    if (split.keyword === 'include') entry.included = await readIncludes(entry, rc, options.depth);
    lines.push(entry);
  }
  return { path, lines };
}

async function readIncludes(entry: ConfigLine, rc: ReadContext, depth: number): Promise<ConfigFile[]> {
  const files: ConfigFile[] = [];
  for (const arg of entry.args) {
    if (arg === '') throw new SshError('SSH_CONFIG', `${entry.file} line ${entry.line}: Include with an empty argument`);
    const pattern = arg.startsWith('~') ? expandTilde(arg, rc.home, entry) : isAbsolute(arg) ? arg : join(rc.home, '.ssh', arg);
    for (const path of await globPaths(pattern)) {
      const file = await readConfigTree(path, rc, { depth: depth + 1, checked: true });
      if (file) files.push(file);
    }
  }
  return files;
}

function expandTilde(arg: string, home: string, entry: ConfigLine): string {
  if (arg === '~') return home;
  if (arg.startsWith('~/')) return join(home, arg.slice(2));
  throw new SshError('SSH_CONFIG', `${entry.file} line ${entry.line}: ~user paths (${arg}) are not supported; write the folder out`);
}

const magic = /(?<!\\)[*?[]/;

/** One path segment of a glob as a regular expression: `*`, `?`, `[…]` (with `!`/`^`), `\x`. */
function segmentPattern(segment: string): RegExp {
  let source = '';
  for (let at = 0; at < segment.length; at += 1) {
    const c = segment[at] ?? '';
    if (c === '\\' && at + 1 < segment.length) {
      at += 1;
      source += (segment[at] ?? '').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    } else if (c === '*') {
      source += '[^/]*';
    } else if (c === '?') {
      source += '[^/]';
    } else if (c === '[') {
      const close = segment.indexOf(']', at + 2);
      if (close === -1) {
        source += '\\[';
        continue;
      }
      let body = segment.slice(at + 1, close);
      const negated = body.startsWith('!') || body.startsWith('^');
      if (negated) body = body.slice(1);
      source += `[${negated ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      at = close;
    } else {
      source += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}

function unescape(segment: string): string {
  return segment.replace(/\\(.)/g, '$1');
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function isFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** POSIX glob(3) of an absolute pattern: matches sorted, wildcards never match a leading dot; [] when none. */
export async function globPaths(pattern: string): Promise<string[]> {
  const segments = pattern.split('/').filter((segment) => segment !== '');
  let bases = ['/'];
  for (const [index, segment] of segments.entries()) {
    const last = index === segments.length - 1;
    const next: string[] = [];
    for (const base of bases) {
      if (!magic.test(segment)) {
        const candidate = join(base, unescape(segment));
        if (last ? await exists(candidate) : await isFolder(candidate)) next.push(candidate);
        continue;
      }
      let names: string[];
      try {
        names = await readdir(base);
      } catch {
        continue;
      }
      const matcher = segmentPattern(segment);
      for (const name of names.sort()) {
        if (name.startsWith('.') && !segment.startsWith('.')) continue;
        if (!matcher.test(name)) continue;
        const candidate = join(base, name);
        if (last || (await isFolder(candidate))) next.push(candidate);
      }
    }
    bases = next;
    if (bases.length === 0) return [];
  }
  return [...bases].sort();
}
