/** `drillbook check FILE`: the readiness check alone (validation, then every ssh target reached and ready). */
import { builtinRunners } from '../../../runners/index.js';
import { formatIssue, loadScenario } from '../../scenario/validate.js';
import { exitCodes } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { parseVarFlags } from '../parse-vars.js';
import { preflightSsh } from '../ssh-preflight.js';

export interface CheckFlags {
  var?: string[];
  sshConfig?: string;
}

export async function checkCommand(file: string, flags: CheckFlags, io: CliIo): Promise<number> {
  const result = await loadScenario(file, { catalog: builtinRunners, vars: parseVarFlags(flags.var ?? []) });
  if (!result.ok) {
    for (const issue of result.issues) io.stderr(`${formatIssue(issue)}\n`);
    return exitCodes.invalidInput;
  }
  const outcome = await preflightSsh(result.scenario, flags.sshConfig ? { sshConfigFile: flags.sshConfig } : {});
  for (const route of outcome.routes) io.stdout(`${route}\n`);
  for (const line of outcome.lines) {
    if (outcome.ok) io.stdout(`${line}\n`);
    else io.stderr(`${line}\n`);
  }
  if (!outcome.checked) io.stdout(`${file}: valid; no ssh target to check\n`);
  else io.stdout(`${file}: ${outcome.ok ? 'ready' : 'NOT ready'}\n`);
  return outcome.ok ? exitCodes.ok : exitCodes.preconditionFailed;
}
