/**
 * Folders of a bundle that other people write into (answers/, approvals/): drillbook reads, removes and
 * writes there only when each folder on the way is a real folder of the bundle, never a symbolic link that
 * someone swapped in to send a write or a removal elsewhere.
 */
import { lstatSync, realpathSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { DrillbookError } from '../errors.js';

/** Why `folder` (relative to the bundle) is not the bundle's own, or undefined when it is (or does not exist yet). */
export function foreignFolder(bundleDir: string, folder: string): string | undefined {
  let path = bundleDir;
  for (const part of folder.split('/').filter(Boolean)) {
    path = join(path, part);
    let stat;
    try {
      stat = lstatSync(path);
    } catch {
      return undefined;
    }
    if (stat.isSymbolicLink()) return `${relative(bundleDir, path)} is a symbolic link`;
    if (!stat.isDirectory()) return `${relative(bundleDir, path)} is not a folder`;
  }
  const inside = relative(realpathSync(bundleDir), realpathSync(path));
  return inside.startsWith('..') || inside.startsWith(sep) ? `${folder} resolves outside the bundle` : undefined;
}

/** Throws when `folder` is not the bundle's own: nothing is written there. */
export function assertOwnFolder(bundleDir: string, folder: string): void {
  const problem = foreignFolder(bundleDir, folder);
  if (problem) throw new DrillbookError('PRECONDITION', `${problem}: drillbook writes only into the bundle's own folders`, { hint: 'someone changed the bundle; nothing was written' });
}
