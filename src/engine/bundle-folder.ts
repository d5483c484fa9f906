/**
 * The bundle folder of a new run: created by drillbook (never a symbolic link, never someone else's), and
 * proven writable before anything with a side effect runs, so a read-only or full disk is found up front.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DrillbookError } from '../errors.js';

const createFlags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

function refuse(dir: string, why: string, hint?: string): never {
  throw new DrillbookError('PRECONDITION', `evidence folder ${dir} ${why}`, { hint: hint ?? 'choose another folder with --out or --store' });
}

function codeOf(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? String(error);
}

/** Node's recursive mkdir reports ENOENT for a read-only file system: ask once more without recursion. */
function trueCode(dir: string, error: unknown): string {
  if (codeOf(error) !== 'ENOENT') return codeOf(error);
  try {
    mkdirSync(dir, { mode: 0o755 });
    return codeOf(error);
  } catch (again) {
    return codeOf(again);
  }
}

/** The store's folder of a scenario (it holds the store lock); it may exist. Throws PRECONDITION. */
export function createStoreFolder(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
  } catch (error) {
    throw new DrillbookError('PRECONDITION', `evidence store folder ${dir} cannot be created (${trueCode(dir, error)})`, {
      hint: 'choose another store with --store, or fix its permissions',
    });
  }
}

/** Create (or accept an empty) bundle folder and prove it takes a durable write. Throws PRECONDITION. */
export function createBundleFolder(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
  } catch (error) {
    refuse(dir, `cannot be created (${trueCode(dir, error)})`);
  }
  const stat = lstatSync(dir);
  if (stat.isSymbolicLink() || !stat.isDirectory()) refuse(dir, 'is not a folder (a symbolic link?)');
  // Whoever may rename entries of the parent could swap the bundle folder for one of theirs mid-run.
  const parent = statSync(dirname(dir));
  if ((parent.mode & 0o002) !== 0 && (parent.mode & 0o1000) === 0) refuse(dir, `is in ${dirname(dir)}, which anyone may write to (and which has no sticky bit)`);
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) refuse(dir, `belongs to uid ${stat.uid}, not to this user (${uid})`);
  // Anyone else who can write here could plant links or files in the evidence while the run writes it.
  if ((stat.mode & 0o022) !== 0) refuse(dir, 'is writable by other users');
  if (readdirSync(dir).length > 0) refuse(dir, 'is not empty', 'choose a new folder with --out');
  assertWritable(dir);
}

/** Create, write, fsync and remove a probe file: the folder takes a durable write (an fsync error counts). */
export function assertWritable(dir: string): void {
  const probe = join(dir, `.drillbook-probe-${randomBytes(6).toString('hex')}`);
  let fd: number | undefined;
  try {
    fd = openSync(probe, createFlags, 0o600);
    writeSync(fd, Buffer.alloc(4096, 0x2e));
    fsyncSync(fd);
  } catch (error) {
    refuse(dir, `is not writable (${codeOf(error)})`, 'free space, fix its permissions, or choose another folder with --out or --store');
  } finally {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(probe);
    } catch {
      // Never created.
    }
  }
}

/** Write a new file in the bundle: never over an existing file or through a link. */
export function writeNewBundleFile(path: string, data: Uint8Array): void {
  const fd = openSync(path, createFlags, 0o644);
  try {
    let offset = 0;
    while (offset < data.length) offset += writeSync(fd, data, offset, data.length - offset);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
