/**
 * A local export folder. Bodies are stored by content, `objects/<sha256[0..2]>/<sha256>`, never under
 * their key: keys are data (`../x`, `/etc/passwd`, names equal after Unicode normalisation or case
 * folding), so no key can write outside the folder or replace another object's body, and identical
 * bodies are stored once. The key → file mapping is the manifest, `manifests/<step>.jsonl`. A body is
 * written to `tmp/` and renamed into place once its digest is known; no fsync per object (the manifest
 * is the commitment, and verification reads every copy back). Every folder is drillbook's own, checked
 * before anything is copied (safe-files.ts): a link or someone else's folder planted in the export would
 * redirect the bodies.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, readdirSync, renameSync, writevSync } from 'node:fs';
import { lstat, readdir, unlink } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { join, resolve } from 'node:path';
import type { ExportEntry } from './export-manifest.js';
import type { ExportStore, OpenCopy } from './export-copy.js';
import { hashFile, streamChunkBytes } from './export-tap.js';
import { createNewFileSync, makeOwnFolder, makeSafeFolder } from '../shared/safe-files.js';

/** Where a body with this digest lives, relative to the export folder. */
export function contentPath(sha256: string): string {
  return `objects/${sha256.slice(0, 2)}/${sha256}`;
}

export interface LocalStoreOptions {
  /** The folder as written in the scenario. */
  dir: string;
  baseDir: string;
  stepId: string;
  /** Paths the export must not write into (the run's bundle, the scenario file). */
  protect?: readonly string[] | undefined;
}

/**
 * A body into a new file (0600: an export is as sensitive as the data it holds), in few calls: the file
 * is made by the first chunk, later ones are gathered and written together once a MiB is waiting or the
 * body ends. Synchronous calls: the bytes go to the page cache, and each asynchronous call is a hop to
 * the thread pool and a wake-up (measured with the read-back's synchronous reads: ~1.5 s less CPU per
 * GiB than a WriteStream and stream reads, same wall time).
 * A slow disk holds the event loop for one write of at most a MiB or so at a time.
 */
class FileSink extends Writable {
  readonly #path: string;
  #fd: number | undefined;
  #chunks: Buffer[] = [];
  #waiting = 0;

  constructor(path: string) {
    super({ highWaterMark: streamChunkBytes });
    this.#path = path;
  }

  /** Write what is waiting (opening the file first); the error, if any. */
  #flush(): Error | null {
    try {
      this.#fd ??= createNewFileSync(this.#path);
      let chunks = this.#chunks;
      this.#chunks = [];
      this.#waiting = 0;
      while (chunks.length > 0) {
        let written = writevSync(this.#fd, chunks);
        // A short write (a full disk) continues where it stopped, or fails on the next call.
        while (chunks.length > 0 && written >= (chunks[0] as Buffer).length) written -= (chunks.shift() as Buffer).length;
        if (written > 0) chunks = [(chunks[0] as Buffer).subarray(written), ...chunks.slice(1)];
      }
      return null;
    } catch (error) {
      return error as Error;
    }
  }

  #close(): Error | null {
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd === undefined) return null;
    try {
      closeSync(fd);
      return null;
    } catch (error) {
      return error as Error;
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#chunks.push(chunk);
    this.#waiting += chunk.length;
    // The file exists from the first bytes on, as a body in progress should.
    callback(this.#waiting < streamChunkBytes && this.#fd !== undefined ? null : this.#flush());
  }

  override _final(callback: (error?: Error | null) => void): void {
    const error = this.#flush();
    callback(this.#close() ?? error);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const closing = this.#close();
    callback(error ?? closing);
  }
}

/** The store, its folders made or checked and this step's leftover temporary files (from a crash) removed. Throws DEST_UNSAFE. */
export async function openLocalStore(options: LocalStoreOptions): Promise<ExportStore> {
  const root = resolve(options.baseDir, options.dir);
  const tmp = join(root, 'tmp');
  for (const name of ['objects', 'tmp', 'manifests']) makeSafeFolder(join(root, name), options.baseDir, { protect: options.protect });
  // Shard folders are made as bodies arrive; those already there are checked now, before any body is copied.
  const shards = new Set<string>();
  for (const name of readdirSync(join(root, 'objects'))) {
    makeOwnFolder(join(root, 'objects', name));
    shards.add(name);
  }
  // Temporary names start with the step id, so a parallel export into the same folder keeps its own.
  const tempPrefix = `${options.stepId}.`;
  for (const name of await readdir(tmp)) {
    if (name.startsWith(tempPrefix) && name.endsWith('.part')) await unlink(join(tmp, name)).catch(() => undefined);
  }
  const checks = new Map<string, Promise<string | undefined>>();

  /** Move a finished body into place, its shard folder made once. */
  const place = (temp: string, sha256: string): void => {
    const name = sha256.slice(0, 2);
    if (!shards.has(name)) {
      makeOwnFolder(join(root, 'objects', name));
      shards.add(name);
    }
    // The same body under another key may be there already: the rename replaces it with equal bytes.
    renameSync(temp, join(root, contentPath(sha256)));
  };

  const checkFile = async (entry: ExportEntry): Promise<string | undefined> => {
    const path = join(root, contentPath(entry.sha256));
    let found: { sha256: string; bytes: number };
    try {
      found = await hashFile(path);
    } catch {
      return `${contentPath(entry.sha256)} cannot be read`;
    }
    if (found.sha256 === entry.sha256 && found.bytes === entry.size) return undefined;
    // A damaged body must not pass as a finished one on the next attempt.
    await unlink(path).catch(() => undefined);
    return `${contentPath(entry.sha256)} holds ${found.bytes} bytes with SHA-256 ${found.sha256}, expected ${entry.size} bytes`;
  };

  return {
    address: options.dir,
    manifestPath: join(root, 'manifests', `${options.stepId}.jsonl`),
    refuse: () => undefined,
    open(): Promise<OpenCopy> {
      const temp = join(tmp, `${tempPrefix}${randomBytes(8).toString('hex')}.part`);
      const sink = new FileSink(temp);
      return Promise.resolve({
        sink,
        keep(sha256) {
          place(temp, sha256);
          return Promise.resolve({ file: contentPath(sha256) });
        },
        async discard() {
          // The file may be being opened: unlink only once the sink is closed, or it would appear after.
          if (!sink.closed) {
            const closed = new Promise<void>((done) => sink.once('close', () => done()));
            sink.destroy();
            await closed;
          }
          await unlink(temp).catch(() => undefined);
        },
      });
    },
    async holds(entry) {
      // The path is derived from the digest, never taken from the manifest line; a link there is no copy.
      const info = await lstat(join(root, contentPath(entry.sha256))).catch(() => undefined);
      return info?.isFile() === true && info.size === entry.size;
    },
    check(entry) {
      // One read per body, however many keys share it.
      let found = checks.get(entry.sha256);
      if (!found) {
        found = checkFile(entry);
        checks.set(entry.sha256, found);
      }
      return found;
    },
  };
}
