/**
 * The readiness phase: every runner that can check what its steps will touch does so, read-only, before the
 * first step of a run (and alone for `drillbook check`). The engine knows no runner: each definition brings
 * its own `preflight`.
 */
import type { PreflightCheck, PreflightStep, RunnerCatalog, RunnerSettings } from '../runner-contract.js';
import type { Scenario } from '../scenario/types.js';
import { allSteps } from '../scenario/types.js';

export interface ReadinessCheck extends PreflightCheck {
  /** The runners whose steps the check covers. */
  runner: string;
}

export interface ReadinessOutcome {
  ok: boolean;
  /** Empty when no runner of the scenario has a readiness check. */
  checks: ReadinessCheck[];
}

export interface ReadinessOptions {
  settings: RunnerSettings;
  secrets: Readonly<Record<string, string>>;
  signal?: AbortSignal;
  /** Steps to check (default: every step of the scenario). */
  stepIds?: readonly string[];
}

type Preflight = NonNullable<RunnerCatalog[string]['preflight']>;

export async function checkReadiness(scenario: Scenario, catalog: RunnerCatalog, options: ReadinessOptions): Promise<ReadinessOutcome> {
  const wanted = options.stepIds ? new Set(options.stepIds) : undefined;
  const groups = new Map<Preflight, { runners: Set<string>; steps: PreflightStep[] }>();
  for (const step of allSteps(scenario)) {
    if (wanted && !wanted.has(step.id)) continue;
    const preflight = catalog[step.uses]?.preflight;
    if (!preflight) continue;
    const group = groups.get(preflight) ?? { runners: new Set<string>(), steps: [] };
    group.runners.add(step.uses);
    group.steps.push({ id: step.id, uses: step.uses, ...(step.on ? { on: step.on } : {}), ...(step.run ? { run: step.run } : {}), with: step.with });
    groups.set(preflight, group);
  }
  const checks: ReadinessCheck[] = [];
  for (const [preflight, group] of groups) {
    const runner = [...group.runners].sort().join(', ');
    try {
      const found = await preflight({
        steps: group.steps,
        targets: scenario.targets,
        baseDir: scenario.source.dir,
        settings: options.settings,
        secret: (name) => options.secrets[name],
        ...(options.signal ? { signal: options.signal } : {}),
      });
      checks.push(...found.map((c) => ({ ...c, runner })));
    } catch (error) {
      checks.push({ runner, target: '*', ok: false, lines: [`${runner}: the readiness check could not run: ${error instanceof Error ? error.message : String(error)}`] });
    }
  }
  return { ok: checks.every((c) => c.ok), checks };
}
