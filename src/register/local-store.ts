/** The evidence store in a local folder (default `reports/`): `<store>/<scenario-id>/<run-id>/`. */
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { readLock } from '../engine/run-lock.js';
import { writeNewFileAtomic } from '../evidence/atomic-write.js';
import { bundleLayout } from '../evidence/bundle-files.js';
import { slugPattern } from '../scenario/schema.js';
import type { BundleRef, EvidenceStore, MissedRun } from './store.js';

/** Folder of missed-run records inside a scenario's folder; run ids start with a digit, so it cannot clash. */
export const missedFolder = 'missed';

const journalFile = 'journal.jsonl';

async function entries(dir: string) {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

function stampOf(iso: string): string {
  return iso.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/**
 * A store in `dir`. `display` is how bundle paths are shown (default: relative to the working folder), so
 * that no absolute path of this machine ends up in reports or notifications.
 */
export function createLocalStore(dir: string, display = dir): EvidenceStore {
  const root = resolve(dir);
  const bundleDir = (ref: BundleRef) => join(root, ref.scenarioId, ref.runId);
  return {
    location: display,
    async listScenarioIds() {
      return (await entries(root))
        .filter((e) => e.isDirectory() && slugPattern.test(e.name))
        .map((e) => e.name)
        .sort();
    },
    async listBundles(scenarioId) {
      const refs: BundleRef[] = [];
      for (const entry of await entries(join(root, scenarioId))) {
        if (!entry.isDirectory() || entry.name === missedFolder) continue;
        const names = new Set((await entries(join(root, scenarioId, entry.name))).map((e) => e.name));
        if (names.has(bundleLayout.record) || names.has(journalFile)) refs.push({ scenarioId, runId: entry.name });
      }
      return refs.sort((a, b) => (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0));
    },
    async readFile(ref, name) {
      try {
        return await readFile(join(bundleDir(ref), name));
      } catch {
        return undefined;
      }
    },
    async statFiles(ref) {
      const files: { name: string; bytes: number; changedMs: number }[] = [];
      const walk = async (dirPath: string): Promise<void> => {
        for (const entry of await entries(dirPath)) {
          const path = join(dirPath, entry.name);
          if (entry.isDirectory()) await walk(path);
          else {
            // ctime cannot be set back by a user the way mtime can: any change shows.
            const info = await stat(path);
            files.push({ name: relative(bundleDir(ref), path).split('\\').join('/'), bytes: info.size, changedMs: Math.max(info.ctimeMs, info.mtimeMs) });
          }
        }
      };
      await walk(bundleDir(ref));
      return files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },
    localBundleDir: (ref) => Promise.resolve(bundleDir(ref)),
    bundleLocation: (ref) => join(display, ref.scenarioId, ref.runId),
    isLocked(scenarioId) {
      const lock = readLock(join(root, scenarioId, 'run.lock'));
      return Promise.resolve(lock.state === 'held' || lock.state === 'foreign');
    },
    async listMissed(scenarioId) {
      const folder = join(root, scenarioId, missedFolder);
      const found: MissedRun[] = [];
      for (const entry of await entries(folder)) {
        if (!entry.isFile() || !entry.name.endsWith('.json')) continue;
        try {
          found.push(JSON.parse(await readFile(join(folder, entry.name), 'utf8')) as MissedRun);
        } catch {
          // A torn or foreign file: missed-run records only ever add warnings, so skipping one hides nothing that counts.
        }
      }
      return found.sort((a, b) => Date.parse(a.firstSlot) - Date.parse(b.firstSlot));
    },
    async recordMissed(missed) {
      const folder = join(root, missed.scenarioId, missedFolder);
      await mkdir(folder, { recursive: true });
      try {
        // Written once: a second scheduler noticing the same gap finds the file there.
        writeNewFileAtomic(join(folder, `${stampOf(missed.firstSlot)}.json`), `${JSON.stringify(missed, null, 2)}\n`);
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw error;
      }
    },
  };
}
