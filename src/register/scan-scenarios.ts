/**
 * Scenario files under the folders the register is pointed at: `*.yaml` and `*.yml`, recursively, but not
 * the trust files kept beside them (`*.trust.yaml`: who holds which approver role).
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DrillbookError } from '../errors.js';

const skipped = new Set(['node_modules', '.git']);
export const trustFile = /\.trust\.ya?ml$/i;

/** Files under `paths` (a path that is a file is taken as it is), sorted, without duplicates. */
export async function findScenarioFiles(paths: readonly string[]): Promise<string[]> {
  const found = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.') || skipped.has(entry.name)) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile() && /\.ya?ml$/i.test(entry.name) && !trustFile.test(entry.name)) found.add(path);
    }
  };
  for (const path of paths) {
    const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
      throw new DrillbookError('USAGE', `${path}: ${error.code === 'ENOENT' ? 'no such file or folder' : error.message}`, { hint: 'name the folders that hold your scenarios, e.g. drillbook due scenarios/' });
    });
    if (info.isDirectory()) await walk(path);
    else found.add(path);
  }
  return [...found].sort();
}
