/**
 * Markers as JSON lines in a local file, each appended and flushed to disk before it counts as written.
 * The file is never written through a link, nor when it is someone else's, and its folder is checked as
 * every destination is (safe-files.ts). The folder is not made: a missing one (a volume not mounted) is a
 * store that is not there, and markers must not land on the disk beneath it.
 */
import { constants } from 'node:fs';
import { readFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { makeSafeFolder, openOwnFile, refuseProtected } from '../../shared/safe-files.js';
import { newerMarker, parseMarker, type Marker } from '../marker.js';
import type { MarkerStore, NewestMarker } from './store.js';

export function createFileStore(path: string, shown: string, baseDir: string, protect?: readonly string[]): MarkerStore {
  let handle: FileHandle | undefined;
  const openForAppend = (): Promise<FileHandle> => {
    refuseProtected(path, protect);
    makeSafeFolder(dirname(path), baseDir, { create: false, protect });
    return openOwnFile(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT);
  };
  return {
    describe: `file ${shown}`,
    async prepare() {
      handle = await openForAppend();
    },
    async write(marker) {
      handle ??= await openForAppend();
      await handle.appendFile(`${JSON.stringify(marker)}\n`);
      await handle.datasync();
    },
    async newest(): Promise<NewestMarker | undefined> {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
      let newest: Marker | undefined;
      let count = 0;
      // A line cut by the disaster is not a marker: skipped, like any foreign line.
      for (const line of text.split('\n')) {
        const marker = parseMarker(line);
        if (!marker) continue;
        count += 1;
        newest = newerMarker(marker, newest);
      }
      return newest ? { marker: newest, count, storeClockOffsetMs: 0 } : undefined;
    },
    async close() {
      await handle?.close();
      handle = undefined;
    },
  };
}
