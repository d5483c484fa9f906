/** Fixture paths as the CLI would be given them: relative to the repository root, where vitest runs. */
import { readdir, readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export type FixtureKind = 'valid' | 'invalid' | 'warning';

export function fixture(kind: FixtureKind, name: string): string {
  return relative(process.cwd(), fileURLToPath(new URL(`../fixtures/${kind}/${name}.yaml`, import.meta.url)));
}

export async function fixtureNames(kind: FixtureKind): Promise<string[]> {
  const dir = fileURLToPath(new URL(`../fixtures/${kind}/`, import.meta.url));
  return (await readdir(dir))
    .filter((file) => file.endsWith('.yaml'))
    .map((file) => file.slice(0, -'.yaml'.length))
    .sort();
}

export async function fixtureText(kind: FixtureKind, name: string): Promise<string> {
  return readFile(fixture(kind, name), 'utf8');
}
