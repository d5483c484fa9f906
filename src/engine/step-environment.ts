/**
 * The environment a step's local processes get: a minimal base, what the scenario and the step name in
 * `inheritEnv`, nothing else. drillbook's own environment (cloud credentials, tokens exported for one step,
 * the secrets' sources) does not leak into every step; a variable a declared secret is read from reaches
 * only the steps that reference that secret. What a step sets itself (`with.env`) comes on top, in the runner.
 */
import type { Scenario, Step } from '../scenario/types.js';

/** What every step gets from drillbook's environment when set: enough to find programs and behave sanely. */
export const baseEnvironment = ['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'] as const;

/** Names of declared secrets a step's templates reference (`${{ secrets.NAME }}` anywhere in it). */
function referencedSecrets(step: Step): Set<string> {
  const text = JSON.stringify([step.run ?? [], step.with]);
  return new Set([...text.matchAll(/\$\{\{\s*secrets\.([A-Za-z_][\w-]*)\s*\}\}/g)].map((m) => m[1] as string));
}

export function stepEnvironment(scenario: Scenario, step: Step, parent: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const referenced = referencedSecrets(step);
  // A variable that is the source of a secret this step does not reference stays out, even when listed.
  const withheld = new Set(
    Object.entries(scenario.secrets).flatMap(([name, source]) => ('env' in source && !referenced.has(name) ? [source.env] : [])),
  );
  const names = [...baseEnvironment, ...(scenario.inheritEnv ?? []), ...(step.inheritEnv ?? [])];
  const env: Record<string, string> = {};
  for (const name of names) {
    const value = parent[name];
    if (value !== undefined && !withheld.has(name)) env[name] = value;
  }
  return env;
}
