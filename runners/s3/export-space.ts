/**
 * The local side of an export running out of room. A write that fails for want of space (or on a
 * read-only or failing file system) fails every write after it: the export stops at the first one rather
 * than download the rest for nothing, and says so as the destination's failure, not the source's.
 */
import { formatCount, formatSize } from '../../src/scenario/size.js';
import type { Volume } from '../../src/exit/facts.js';

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

const objects = (count: number): string => `${formatCount(count)} object${count === 1 ? '' : 's'}`;

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
