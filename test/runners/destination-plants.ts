/**
 * What every runner that writes a local file must refuse (runners/shared/safe-files.ts): a link or a
 * folder of another user on the way to the file, and a link at the file, each before anything is written
 * and with nothing landing where the link points. Tests run as root; 65534 is the other user.
 */
import { chownSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Observation } from '../../src/runner-contract.js';

/** `write(file)` runs the step with `file` (relative to `dir`, the scenario's folder) as its destination. */
export async function expectPlantsRefused(runner: string, dir: string, write: (file: string) => Promise<Observation['error']>): Promise<void> {
  expect(await write('made/deep/file')).toBeUndefined();
  for (const folder of ['made', 'made/deep']) expect(lstatSync(join(dir, folder)).mode & 0o777).toBe(0o700);
  expect(lstatSync(join(dir, 'made/deep/file')).mode & 0o777).toBe(0o600);

  const outside = mkdtempSync(join(dir, 'outside-'));
  writeFileSync(join(outside, 'target'), 'theirs');
  symlinkSync(outside, join(dir, 'linked'));
  expect(await write('linked/file')).toEqual({
    code: 'DEST_UNSAFE',
    message: `${runner}: ${join(dir, 'linked')} is a symbolic link: remove it (drillbook then makes the folder itself), or name the folder it points to`,
  });
  mkdirSync(join(dir, 'theirs'));
  chownSync(join(dir, 'theirs'), 65534, 65534);
  expect(await write('theirs/file')).toEqual({
    code: 'DEST_UNSAFE',
    message: `${runner}: ${join(dir, 'theirs')} belongs to uid 65534, not to this user (0): remove it (drillbook then makes the folder itself), or give it to this user`,
  });
  expect(readdirSync(join(dir, 'theirs'))).toEqual([]);
  symlinkSync(join(outside, 'target'), join(dir, 'link-file'));
  expect(await write('link-file')).toEqual({
    code: 'DEST_UNSAFE',
    message: `${runner}: ${join(dir, 'link-file')} is a symbolic link: remove it; drillbook never writes through a link`,
  });
  expect(lstatSync(join(dir, 'link-file')).isSymbolicLink()).toBe(true);
  expect(readdirSync(outside)).toEqual(['target']);
  expect(readFileSync(join(outside, 'target'), 'utf8')).toBe('theirs');
}
