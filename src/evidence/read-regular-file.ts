import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/**
 * A small file someone else may have put in the bundle (an answer, an approval): its bytes, or undefined when
 * there is none. Never follows a link and never blocks on a FIFO: anything but a regular file of at most
 * `limit` bytes reads as `limit + 1` zero bytes, which every parser refuses as too large.
 */
export function readRegularFile(path: string, limit: number): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    // A link or something unreadable in the file's place: too large, so refused.
    return Buffer.alloc(limit + 1);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile() || stat.size > limit) return Buffer.alloc(limit + 1);
    const buffer = Buffer.alloc(stat.size);
    let read = 0;
    while (read < buffer.length) {
      const n = readSync(fd, buffer, read, buffer.length - read, read);
      if (n === 0) break;
      read += n;
    }
    return buffer.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}
