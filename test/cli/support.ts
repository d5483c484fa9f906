/** Spawn the built CLI the way a user would. */
import { execa } from 'execa';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const cliPath = resolve('dist/src/cli/index.js');

export function drillbook(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  return execa(process.execPath, [cliPath, ...args], {
    reject: false,
    all: true,
    cwd: options.cwd ?? process.cwd(),
    env: { NODE_NO_WARNINGS: '1', DRILLBOOK_OPERATOR: 'cli-test', ...options.env },
    extendEnv: true,
  });
}

export function workspace(): string {
  return mkdtempSync(join(tmpdir(), 'drillbook-cli-'));
}

/** Write a scenario file; `body` is everything after the header. */
export function writeScenario(dir: string, name: string, body: string): string {
  const file = join(dir, `${name}.yaml`);
  const objectives = body.includes('objectives:') ? '' : 'objectives: {}\n';
  writeFileSync(file, `version: 1\nkind: drill\nid: ${name}\ntitle: ${name}\nowner: tests\n${objectives}${body}`);
  return file;
}

/** Alive and not a zombie (an orphan's zombie lingers until init reaps it). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
