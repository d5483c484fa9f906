/**
 * The local side of an export running out of room. Before the first GET, the free space of the export
 * folder is compared with what is still to copy, so a disk that cannot hold the export costs no egress.
 * A write that fails for want of space (or on a read-only or failing file system) fails every write after
 * it: the export stops at the first one rather than download the rest for nothing, and says so as the
 * destination's failure, not the source's.
 */
import { statfs } from 'node:fs/promises';
import { formatCount, formatSize, type Volume } from '../../src/runner-contract.js';

/** The free-space check of a local export, as `details.freeSpace` keeps it. */
export interface FreeSpace {
  /** The export folder, resolved. */
  folder: string;
  /** Objects still to copy (the listing less the copies a resumed manifest still holds). */
  objects: number;
  /** Their sizes, each rounded up to the file system's block size (what the files will take). */
  neededBytes: number;
  /** Free to an unprivileged writer (f_bavail). */
  availableBytes: number;
  enough: boolean;
}

/** The free space of `folder` against bodies of `sizes` bytes. */
export async function measureFreeSpace(folder: string, sizes: readonly number[]): Promise<FreeSpace> {
  const fs = await statfs(folder);
  const neededBytes = sizes.reduce((sum, size) => sum + Math.ceil(size / fs.bsize) * fs.bsize, 0);
  const availableBytes = fs.bavail * fs.bsize;
  return { folder, objects: sizes.length, neededBytes, availableBytes, enough: neededBytes <= availableBytes };
}

/** What is short, for the step's error or the warning: `the export folder export has 1 MiB free; …`. */
export function describeShortfall(dir: string, space: FreeSpace): string {
  return `the export folder ${dir} has ${formatSize(space.availableBytes)} free; the ${objects(space.objects)} still to copy need ${formatSize(space.neededBytes)} (files rounded up to whole blocks)`;
}

const objects = (count: number): string => `${formatCount(count)} object${count === 1 ? '' : 's'}`;

const stoppingWrites: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EIO: 'input/output error',
};

/** The errno code of a failed local write that stops the export, if `error` is one. */
export function stoppingWriteCode(error: unknown): string | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const { code, syscall } = error as { code?: unknown; syscall?: unknown };
  return typeof code === 'string' && typeof syscall === 'string' && code in stoppingWrites ? code : undefined;
}

/** Where an export stopped when its destination could not be written. */
export interface StoppedAt {
  listed: number;
  /** In the manifest: copied in this attempt or resumed. */
  finished: number;
  /** Copied in this attempt. */
  copied: Volume;
  notAttempted: number;
}

/** The step's error for a stopping write failure `code` while writing to `where` (`the export folder export`); `at` once listed. */
export function destinationFailure(code: string, where: string, at: StoppedAt | undefined): { code: string; message: string } {
  const failed = `s3.export: writing to ${where} failed: ${code} (${stoppingWrites[code] ?? code})`;
  if (!at) return { code: `DEST_${code}`, message: `${failed} before the source was listed` };
  return {
    code: `DEST_${code}`,
    message:
      `${failed} after ${objects(at.copied.objects)} (${formatSize(at.copied.bytes)}) ` +
      `${at.copied.objects === 1 ? 'was' : 'were'} written in this attempt; ${formatCount(at.notAttempted)} of ${objects(at.listed)} were not attempted. ` +
      `The manifest keeps the ${formatCount(at.finished)} finished; a new attempt resumes from it once the destination can be written`,
  };
}
