/** Spawn the built CLI the way a user would. */
import { execa } from 'execa';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RunRecord } from '../../src/evidence/run-record.js';

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

/** The run record (the predicate of record.json) of a sealed bundle. */
export const readRecord = (bundle: string): RunRecord =>
  (JSON.parse(readFileSync(join(bundle, 'record.json'), 'utf8')) as { predicate: RunRecord }).predicate;

/** Poll until `check` holds (a child process reached a point), or fail after `ms`. */
export const waitFor = async (check: () => boolean, ms = 15_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 50));
  }
};
