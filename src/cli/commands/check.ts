/** `drillbook check FILE`: the readiness check alone (validation, then every target a runner can check, read-only). */
import { builtinRunners } from '../../../runners/index.js';
import { checkReadiness } from '../../engine/readiness.js';
import { prepareInputs } from '../../engine/run-inputs.js';
import { formatIssue, loadScenario } from '../../scenario/validate.js';
import { exitCodes } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { parseVarFlags } from '../parse-vars.js';

export interface CheckFlags {
  var?: string[];
  sshConfig?: string;
}

export async function checkCommand(file: string, flags: CheckFlags, io: CliIo): Promise<number> {
  const varOverrides = parseVarFlags(flags.var ?? []);
  const result = await loadScenario(file, { catalog: builtinRunners, vars: varOverrides });
  if (!result.ok) {
    for (const issue of result.issues) io.stderr(`${formatIssue(issue)}\n`);
    return exitCodes.invalidInput;
  }
  for (const warning of result.warnings) io.stderr(`${formatIssue(warning)}\n`);
  const inputs = prepareInputs(result.scenario, { varOverrides, ...(flags.sshConfig ? { sshConfigFile: flags.sshConfig } : {}) });
  const outcome = await checkReadiness(result.scenario, builtinRunners, { settings: inputs.runnerSettings, secrets: inputs.secrets });
  for (const check of outcome.checks) {
    for (const line of check.lines) {
      if (check.ok) io.stdout(`${line}\n`);
      else io.stderr(`${line}\n`);
    }
  }
  if (outcome.checks.length === 0) io.stdout(`${file}: valid; no target with a readiness check\n`);
  else io.stdout(`${file}: ${outcome.ok ? 'ready' : 'NOT ready'}\n`);
  return outcome.ok ? exitCodes.ok : exitCodes.preconditionFailed;
}
