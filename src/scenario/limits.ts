/**
 * Caps on the lists of a scenario, far above what a drill needs. They are counted on the YAML nodes
 * before any data is built from them, so an absurd list costs one pass over its items instead of the
 * per-step checks (and, at run time, a state machine, journal and report that size). The other lists
 * (a `run` array, `with` options) are bounded by the file size.
 */
import { isAlias, isMap, isScalar, isSeq } from 'yaml';
import type { YAMLMap } from 'yaml';
import { at } from './issues.js';
import type { Path, Problem } from './issues.js';

/** Steps in preconditions, steps and cleanup together, each member of a group counted. */
export const maxSteps = 1_000;
export const maxVars = 1_000;
export const maxSecrets = 1_000;
export const maxTargets = 1_000;
/** Hosts of one ssh target (a fleet); more belong in several targets. */
export const maxTargetHosts = 10_000;

export type ResolveAlias = (node: unknown) => unknown;

function entry(map: YAMLMap, key: string): { key: unknown; value: unknown } | undefined {
  return map.items.find((pair) => isScalar(pair.key) && pair.key.value === key);
}

const startOf = (node: unknown): number => (node as { range?: [number, number, number] } | null)?.range?.[0] ?? 0;

interface Over {
  path: Path;
  offset: number;
}

const phases = ['preconditions', 'steps', 'cleanup'] as const;

function countSteps(top: YAMLMap, resolve: ResolveAlias): { total: number; over?: Over } {
  let total = 0;
  let over: Over | undefined;
  const count = (path: Path, node: unknown): void => {
    total += 1;
    if (total === maxSteps + 1) over = { path, offset: startOf(node) };
  };
  for (const phase of phases) {
    const list = resolve(entry(top, phase)?.value);
    if (!isSeq(list)) continue;
    list.items.forEach((item, index) => {
      const step = resolve(item);
      const written = isMap(step) ? entry(step, 'parallel')?.value : undefined;
      const members = resolve(written);
      // Members an alias repeats are pointed at where the alias is written.
      const alias = isAlias(item) ? item : isAlias(written) ? written : undefined;
      if (isSeq(members)) members.items.forEach((member, position) => count([phase, index, 'parallel', position], alias ?? member));
      else count([phase, index], item);
    });
  }
  return over ? { total, over } : { total };
}

/** The first key past `max` of a mapping, and how many it has. */
function countEntries(map: unknown, max: number): { total: number; over?: { name: string; offset: number } } | undefined {
  if (!isMap(map) || map.items.length <= max) return undefined;
  const key = map.items[max]?.key;
  return { total: map.items.length, over: { name: isScalar(key) ? String(key.value) : String(max), offset: startOf(key) } };
}

/**
 * Every list over its cap, reported through `report`; true when there was one (nothing more is checked).
 * Aliases count what they stand for.
 */
export function checkLimits(top: YAMLMap, resolve: ResolveAlias, report: (problem: Problem, offset: number) => void): boolean {
  let exceeded = false;
  const steps = countSteps(top, resolve);
  if (steps.over) {
    exceeded = true;
    report(
      {
        code: 'too-many-steps',
        message: at(steps.over.path, `a scenario holds at most ${maxSteps} steps (preconditions, steps and cleanup, group members included); this one has ${steps.total}`),
        hint: 'split it into several scenarios',
      },
      steps.over.offset,
    );
  }
  const sections = [
    ['vars', maxVars, 'split the scenario into several'],
    ['secrets', maxSecrets, 'split the scenario into several'],
    ['targets', maxTargets, 'hosts of one kind can share one ssh target: hosts: [...]'],
  ] as const;
  for (const [section, max, hint] of sections) {
    const counted = countEntries(resolve(entry(top, section)?.value), max);
    if (!counted?.over) continue;
    exceeded = true;
    report(
      { code: 'too-many-entries', message: at([section, counted.over.name], `a scenario declares at most ${max} ${section}; this one declares ${counted.total}`), hint },
      counted.over.offset,
    );
  }
  const targets = resolve(entry(top, 'targets')?.value);
  for (const pair of isMap(targets) ? targets.items : []) {
    const target = resolve(pair.value);
    const ssh = isMap(target) ? resolve(entry(target, 'ssh')?.value) : undefined;
    const hosts = isMap(ssh) ? resolve(entry(ssh, 'hosts')?.value) : undefined;
    if (!isSeq(hosts) || hosts.items.length <= maxTargetHosts) continue;
    exceeded = true;
    const name = isScalar(pair.key) ? String(pair.key.value) : '?';
    report(
      {
        code: 'too-many-entries',
        message: at(['targets', name, 'ssh', 'hosts', maxTargetHosts], `a target lists at most ${maxTargetHosts} hosts; this one lists ${hosts.items.length}`),
        hint: 'split the fleet into several targets',
      },
      startOf(hosts.items[maxTargetHosts]),
    );
  }
  return exceeded;
}
