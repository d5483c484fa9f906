/** Which targets differ between the scenario a run used and the scenario as written now. Pure. */
import { stableStringify } from '../evidence/stable-json.js';
import type { Target } from '../scenario/types.js';

/** `primary (changed)`, `dr-site (added)`, `old (removed)`, in name order. */
export function targetChanges(before: Readonly<Record<string, Target>>, now: Readonly<Record<string, Target>>): string[] {
  const names = [...new Set([...Object.keys(before), ...Object.keys(now)])].sort();
  const changes: string[] = [];
  for (const name of names) {
    const then = before[name];
    const current = now[name];
    if (then === undefined) changes.push(`${name} (added)`);
    else if (current === undefined) changes.push(`${name} (removed)`);
    else if (stableStringify(then) !== stableStringify(current)) changes.push(`${name} (changed)`);
  }
  return changes;
}
