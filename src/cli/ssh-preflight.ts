/**
 * The SSH readiness check run before the first step (and alone by `drillbook check`): every ssh target the
 * scenario uses is reached, its host key verified, authentication proven and the commands found. Read-only.
 */
import { resolveSecrets } from '../engine/secrets.js';
import type { RunnerSettings } from '../runner-contract.js';
import { allSteps, type Scenario } from '../scenario/types.js';

export interface PreflightOutcome {
  /** False when the scenario has no ssh target: nothing was checked. */
  checked: boolean;
  ok: boolean;
  lines: string[];
  /** `ssh TARGET HOST: route …` for every host that could be resolved: the way drillbook will take to it. */
  routes: string[];
}

function commandsByTarget(scenario: Scenario): Record<string, { command: string; sudo?: boolean }[]> {
  const byTarget: Record<string, { command: string; sudo?: boolean }[]> = {};
  for (const step of allSteps(scenario)) {
    const command = step.run?.[0];
    if (step.uses !== 'ssh' || !step.on || !command || command.includes('${{')) continue;
    (byTarget[step.on] ??= []).push({ command, ...(step.with['sudo'] === true ? { sudo: true } : {}) });
  }
  return byTarget;
}

export async function preflightSsh(scenario: Scenario, settings: RunnerSettings, signal?: AbortSignal): Promise<PreflightOutcome> {
  const used = new Set(allSteps(scenario).flatMap((s) => (s.on ? [s.on] : [])));
  const targets = Object.fromEntries(Object.entries(scenario.targets).filter(([name, t]) => t.kind === 'ssh' && used.has(name)));
  if (Object.keys(targets).length === 0) return { checked: false, ok: true, lines: [], routes: [] };
  const secrets = resolveSecrets(scenario.secrets, scenario.source.dir);
  const values = secrets.ok ? secrets.values : {};
  const { checkSshTargets, describeCheckFailures } = await import('../../runners/ssh/index.js');
  const result = await checkSshTargets(targets, commandsByTarget(scenario), {
    baseDir: scenario.source.dir,
    settings,
    secret: (name) => values[name],
    ...(signal ? { signal } : {}),
  });
  const lines = result.ok
    ? result.targets.flatMap((t) => t.hosts.map((h) => `ssh ${t.target} ${h.host}: ready${h.hostKey?.[0] ? ` (${h.hostKey[0].fingerprint})` : ''}`))
    : describeCheckFailures(result);
  const routes = result.targets.flatMap((t) => t.hosts.flatMap((h) => (h.route ? [`ssh ${t.target} ${h.host}: route ${h.route}`] : [])));
  return { checked: true, ok: result.ok, lines, routes };
}
