/**
 * Evidence that cannot be written (a full disk, an I/O error, a quota): one place that recognises it,
 * keeps the first failure and tells the run, so every writer of the bundle (journal, step logs,
 * attachments, the diagnostic log, the seal) reports the same way and the run stops its side effects.
 */

/** Error codes that mean the storage refused a write (as opposed to a bug or a bad path). */
const storageCodes = new Set(['ENOSPC', 'EIO', 'EDQUOT', 'EROFS', 'EFBIG', 'ENOBUFS']);

const reasons: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EIO: 'input/output error',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'the file system is read-only',
  EFBIG: 'file too large',
  ENOBUFS: 'no buffer space available',
  ELOOP: 'a symbolic link where the bundle has a folder or file',
};

export interface WriteFailure {
  code: string;
  /** One line: the code and what it means, where it happened. */
  message: string;
}

export function isStorageError(error: unknown): boolean {
  return storageCodes.has((error as NodeJS.ErrnoException | undefined)?.code ?? '');
}

export function describeWriteFailure(error: unknown, where: string): WriteFailure {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? 'EIO';
  return { code, message: `${where}: ${code} (${reasons[code] ?? 'the write failed'})` };
}

export interface WriteFailureGuard {
  /** The first failure, while it lasts. */
  readonly failure: WriteFailure | undefined;
  report(error: unknown, where: string): void;
}

/** `onFirst` is called once, at the first failure: the run stops its side effects. */
export function createWriteFailureGuard(onFirst: (failure: WriteFailure) => void): WriteFailureGuard {
  let failure: WriteFailure | undefined;
  return {
    get failure() {
      return failure;
    },
    report(error, where) {
      if (failure) return;
      failure = describeWriteFailure(error, where);
      onFirst(failure);
    },
  };
}
