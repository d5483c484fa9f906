/**
 * The house's rules, held against every import in the source: runners depend only on the runner contract and
 * runners/shared; the engine, the scenario and the evidence code import no runner and no CLI; only the CLI
 * ends the process.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve('.');

function sources(folder: string): string[] {
  return (readdirSync(join(root, folder), { recursive: true }) as string[]).filter((name) => name.endsWith('.ts')).map((name) => join(folder, name));
}

/** Every module a file imports (static, re-exported or dynamic), as a path from the repository root, or the package name. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^import\s+)'([^']+)'/gm)) {
    const specifier = match[1] as string;
    found.push(specifier.startsWith('.') ? relative(root, resolve(root, dirname(file), specifier)) : specifier);
  }
  return found;
}

const local = (specifier: string): boolean => /^(src|runners|test|scripts)\//.test(specifier);

describe('house rules', () => {
  it('runners import only the runner contract, runners/shared, their own folder and packages', () => {
    const problems: string[] = [];
    for (const file of sources('runners')) {
      const own = file.split('/').slice(0, 2).join('/');
      for (const target of importsOf(file).filter(local)) {
        const allowed = target === 'src/runner-contract.js' || target.startsWith('runners/shared/') || target.startsWith(`${own}/`) || (file === 'runners/index.ts' && target.startsWith('runners/'));
        if (!allowed) problems.push(`${file} imports ${target}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('the engine, the scenario, the evidence and exit-readiness code import no runner and no CLI', () => {
    const problems: string[] = [];
    for (const folder of ['src/engine', 'src/scenario', 'src/evidence', 'src/exit-readiness']) {
      for (const file of sources(folder)) {
        for (const target of importsOf(file).filter(local)) if (/^(runners|src\/cli)\//.test(target)) problems.push(`${file} imports ${target}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('the scenario code imports nothing of the engine, the evidence or the register', () => {
    const problems = sources('src/scenario').flatMap((file) => importsOf(file).filter((target) => /^src\/(engine|evidence|register|notify|dashboard)\//.test(target)).map((target) => `${file} imports ${target}`));
    expect(problems).toEqual([]);
  });

  it('only the CLI imports the CLI and ends the process', () => {
    const problems: string[] = [];
    for (const file of [...sources('src'), ...sources('runners')].filter((name) => !name.startsWith('src/cli/'))) {
      if (importsOf(file).some((target) => target.startsWith('src/cli/'))) problems.push(`${file} imports the CLI`);
      if (/\bprocess\.exit\(/.test(readFileSync(join(root, file), 'utf8'))) problems.push(`${file} calls process.exit`);
    }
    expect(problems).toEqual([]);
  });
});
