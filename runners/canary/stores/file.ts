/** Markers as JSON lines in a local file, each appended and flushed to disk before it counts as written. */
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { newerMarker, parseMarker, type Marker } from '../marker.js';
import type { MarkerStore, NewestMarker } from './store.js';

export function createFileStore(path: string, shown: string): MarkerStore {
  let handle: FileHandle | undefined;
  return {
    describe: `file ${shown}`,
    async prepare() {
      handle = await open(path, 'a', 0o644);
    },
    async write(marker) {
      if (!handle) handle = await open(path, 'a', 0o644);
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
