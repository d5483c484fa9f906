/**
 * Where a runner may write on this machine, one rule for all of them (the bundle folder's rule, see
 * src/engine/bundle-folder.ts, applied to destinations). Anyone who can plant a link or a folder of
 * their own in a destination beforehand would otherwise redirect the customer's data, so:
 * - a destination folder, and every folder between the scenario's folder and it, is made by drillbook
 *   (0700) or is already the user's own: never a symbolic link, never someone else's, never writable by
 *   other users; the folder above the first of them may not be writable by anyone without a sticky bit;
 * - every file is created new (`O_CREAT | O_EXCL | O_NOFOLLOW`, 0600) inside such a folder, and renamed
 *   into place within it; a rename replaces a link at the final name instead of following it;
 * - an existing file a runner opens again (a manifest it resumes, a marker file it appends to) is
 *   opened with `O_NOFOLLOW` and must be a regular file of the user's.
 * A refusal is a StepError `DEST_UNSAFE` naming the path and what to change. The scenario's folder itself
 * is trusted as the scenario is: whoever may write it may change what the drill runs.
 */
import { constants, lstatSync, mkdirSync, openSync, realpathSync, statSync, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { StepError } from './step-error.js';

/** The code of every refusal. */
export const unsafeDestination = 'DEST_UNSAFE';

const newFileFlags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

export function isUnsafeDestination(error: unknown): error is StepError {
  return error instanceof StepError && error.code === unsafeDestination;
}

function refuse(path: string, why: string, change: string): never {
  throw new StepError(unsafeDestination, `${path} ${why}: ${change}`);
}

function codeOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}

/** Refuse a file or folder that belongs to another user (no owners on Windows). */
function assertOwner(path: string, stat: Stats, change: string): void {
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) refuse(path, `belongs to uid ${stat.uid}, not to this user (${uid})`, change);
}

/** `stat` (of `path`, not followed) is a folder only this user may change; `made`: drillbook makes it when missing. */
function assertOwnFolder(path: string, stat: Stats, made = true): void {
  const remove = made ? 'remove it (drillbook then makes the folder itself), or ' : '';
  if (stat.isSymbolicLink()) refuse(path, 'is a symbolic link', `${remove}name the folder it points to`);
  if (!stat.isDirectory()) refuse(path, 'is not a folder', 'remove it, or choose another path');
  assertOwner(path, stat, `${remove}give it to this user`);
  // Anyone else who may write here could swap a folder below it for a link while the step writes.
  if ((stat.mode & 0o022) !== 0) refuse(path, 'is writable by other users', 'remove their write permission (chmod go-w), or choose another folder');
}

/** Make `path` (0700) in a folder already checked, or check the one there. */
export function makeOwnFolder(path: string): void {
  try {
    mkdirSync(path, { mode: 0o700 });
  } catch (error) {
    if (codeOf(error) !== 'EEXIST') throw error;
  }
  assertOwnFolder(path, lstatSync(path));
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch (error) {
    if (codeOf(error) === 'ENOENT' || codeOf(error) === 'ENOTDIR') return false;
    throw error;
  }
}

/** `/`, `/a`, `/a/b` for `/a/b`. */
function foldersDownTo(path: string): string[] {
  const folders = [path];
  for (let at = path; dirname(at) !== at; at = dirname(at)) folders.unshift(dirname(at));
  return folders;
}

/**
 * Make `dir` a folder to write into (every missing folder made 0700), or with `create: false` only check
 * it (a missing one then fails with ENOENT). `base` is the scenario's folder: the folders below it are
 * checked; for a `dir` outside it, `dir` and the folders that do not exist yet. Throws DEST_UNSAFE.
 */
export function makeSafeFolder(dir: string, base: string, options: { create?: boolean; protect?: readonly string[] | undefined } = {}): void {
  refuseProtected(dir, options.protect);
  const folders = foldersDownTo(resolve(dir));
  const trusted = folders.indexOf(resolve(base));
  let first = trusted === -1 ? folders.length - 1 : trusted + 1;
  // A folder drillbook has to make is its own, above the scenario's folder too.
  const missing = folders.findIndex((folder, index) => index > 0 && index < first && !exists(folder));
  if (missing !== -1) first = missing;
  const top = folders[first] ?? resolve(dir);
  const parent = first === folders.length ? top : dirname(top);
  const above = statSync(parent);
  if (!above.isDirectory()) refuse(parent, 'is not a folder', 'remove it, or choose another path');
  // Whoever may rename entries of the parent could swap the first folder for a link mid-step.
  if ((above.mode & 0o002) !== 0 && (above.mode & 0o1000) === 0) {
    refuse(parent, 'may be written by anyone and has no sticky bit: what drillbook writes in it could be swapped for a link', 'choose a folder elsewhere');
  }
  for (const folder of folders.slice(first)) {
    if (options.create === false) assertOwnFolder(folder, lstatSync(folder), false);
    else makeOwnFolder(folder);
  }
}

/**
 * What is at `path`, a destination file about to be replaced (by a rename within its checked folder):
 * undefined when nothing. Throws DEST_UNSAFE for a link or someone else's file.
 */
export function inspectDestination(path: string): Stats | undefined {
  let stat: Stats;
  try {
    stat = lstatSync(path);
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return undefined;
    throw error;
  }
  if (stat.isSymbolicLink()) refuse(path, 'is a symbolic link', 'remove it; drillbook never writes through a link');
  if (stat.isFile()) assertOwner(path, stat, 'remove it, or give it to this user');
  return stat;
}

/** Make the folder of the destination file `path` (see makeSafeFolder) and inspect what is there. */
export function prepareDestination(path: string, base: string, protect?: readonly string[]): Stats | undefined {
  refuseProtected(path, protect);
  makeSafeFolder(dirname(path), base, { protect });
  return inspectDestination(path);
}

/** `path` with links resolved as far as it exists (what a write to it would reach). */
function reached(path: string): string {
  let head = resolve(path);
  const rest: string[] = [];
  while (!exists(head) && dirname(head) !== head) {
    rest.unshift(basename(head));
    head = dirname(head);
  }
  let real = head;
  try {
    real = realpathSync(head);
  } catch {
    // Unreadable: compared as written.
  }
  return join(real, ...rest);
}

/**
 * A step never writes the run's own evidence (its bundle folder) or the scenario it runs: a destination
 * that is, or lies inside, one of `protect` is refused (DEST_UNSAFE).
 */
export function refuseProtected(path: string, protect: readonly string[] | undefined): void {
  if (!protect?.length) return;
  const target = reached(path);
  for (const guarded of protect) {
    const own = reached(guarded);
    if (target === own || target.startsWith(`${own}${sep}`)) {
      refuse(path, `is ${target === own ? '' : 'inside '}${own}, which this run keeps as evidence or runs from`, 'write the step\'s output somewhere else');
    }
  }
}

function planted(path: string, error: unknown): unknown {
  if (codeOf(error) !== 'EEXIST') return error;
  return new StepError(unsafeDestination, `${path} exists already, under a name drillbook had just drawn at random: someone put it there; remove it`);
}

/** A new file (0600) in a checked folder, as a descriptor; never an existing file or a link. */
export function createNewFileSync(path: string): number {
  try {
    return openSync(path, newFileFlags, 0o600);
  } catch (error) {
    throw planted(path, error);
  }
}

/** A new file (0600) in a checked folder; never an existing file or a link. */
export async function createNewFile(path: string): Promise<FileHandle> {
  try {
    return await open(path, newFileFlags, 0o600);
  } catch (error) {
    throw planted(path, error);
  }
}

/**
 * An existing file of this user's opened with `flags` (from `constants`; with O_CREAT made 0600), never
 * through a link. Throws DEST_UNSAFE for a link, a non-file or someone else's file; ENOENT as it comes.
 */
export async function openOwnFile(path: string, flags: number): Promise<FileHandle> {
  let file: FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO planted there would otherwise wait for its other end, past every timeout
    // (on a regular file the flag changes nothing).
    file = await open(path, flags | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o600);
  } catch (error) {
    if (codeOf(error) === 'ELOOP' || codeOf(error) === 'EMLINK') refuse(path, 'is a symbolic link', 'remove it; drillbook never reads or writes its own files through a link');
    // A FIFO nobody reads, opened for writing without blocking.
    if (codeOf(error) === 'ENXIO') refuse(path, 'is not a regular file', 'remove it, or choose another path');
    throw error;
  }
  try {
    const stat = await file.stat();
    if (!stat.isFile()) refuse(path, 'is not a regular file', 'remove it, or choose another path');
    assertOwner(path, stat, 'remove it, or give it to this user');
    return file;
  } catch (error) {
    await file.close();
    throw error;
  }
}
