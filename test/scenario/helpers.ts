/** Validate inline YAML and read the outcome as the CLI prints it. */
import { builtinRunners } from '../../runners/index.js';
import type { Scenario } from '../../src/scenario/types.js';
import { formatIssue, validateScenario } from '../../src/scenario/validate.js';

export const head = `version: 1
kind: drill
id: inline
title: Inline scenario
owner: sre-team
objectives: {}
`;

/** Every formatted issue, in order; [] when the scenario is valid. */
export function problems(text: string, vars: Record<string, string> = {}): string[] {
  const result = validateScenario(text, 'scenario.yaml', { catalog: builtinRunners, vars });
  return result.ok ? [] : result.issues.map(formatIssue);
}

export function valid(text: string, vars: Record<string, string> = {}): Scenario {
  const result = validateScenario(text, 'scenario.yaml', { catalog: builtinRunners, vars });
  if (!result.ok) throw new Error(result.issues.map(formatIssue).join('\n'));
  return result.scenario;
}
