/** Durable file writes: a reader sees the old file or the new one, never half of one, even after a crash. */
import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, linkSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Write `data` to `path` atomically: a temporary file in the same folder, fsync, rename over `path`,
 * fsync the folder (so the rename itself survives a power cut).
 * @param mode file mode, applied exactly (umask does not narrow or widen it); default 0o644.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): void {
  const tmp = writeTemporary(path, data, mode);
  try {
    renameSync(tmp, path);
  } catch (error) {
    removeQuietly(tmp);
    throw error;
  }
  fsyncDirectory(dirname(path));
}

/**
 * Like {@link writeFileAtomic}, but fails with `EEXIST` instead of replacing an existing file
 * (a hard link is atomic and never overwrites): for files that must be written once, such as sign-offs.
 */
export function writeNewFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): void {
  const tmp = writeTemporary(path, data, mode);
  try {
    linkSync(tmp, path);
  } finally {
    removeQuietly(tmp);
  }
  fsyncDirectory(dirname(path));
}

/** fsync a folder, so that entries created or renamed in it are durable. */
export function fsyncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch (error) {
    // Some platforms and file systems cannot open or fsync a folder; the data itself was fsync'd.
    if (!isUnsupportedDirSync(error)) throw error;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Write every byte of `data` to `fd`: writeSync may write less than asked. */
export function writeAllSync(fd: number, data: Uint8Array): void {
  let offset = 0;
  while (offset < data.length) offset += writeSync(fd, data, offset, data.length - offset);
}

function writeTemporary(path: string, data: string | Uint8Array, mode: number): string {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', mode);
  try {
    fchmodSync(fd, mode);
    writeAllSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    removeQuietly(tmp);
    throw error;
  }
  closeSync(fd);
  return tmp;
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Already gone: nothing to clean up.
  }
}

function isUnsupportedDirSync(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return process.platform === 'win32' || code === 'EINVAL' || code === 'ENOTSUP' || code === 'EISDIR';
}
