/** `drillbook validate FILE…`: every problem of every file at once; nothing runs. */
import { builtinRunners } from '../../../runners/index.js';
import { formatIssue, loadScenario } from '../../scenario/validate.js';
import { leafSteps } from '../../scenario/types.js';
import { exitCodes } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { parseVarFlags } from '../parse-vars.js';

export interface ValidateFlags {
  var?: string[];
  json?: boolean;
}

export async function validateCommand(files: readonly string[], flags: ValidateFlags, io: CliIo): Promise<number> {
  const vars = parseVarFlags(flags.var ?? []);
  let invalid = 0;
  const results: unknown[] = [];
  for (const file of files) {
    const result = await loadScenario(file, { catalog: builtinRunners, vars });
    if (flags.json) {
      results.push(result.ok ? { file, ok: true, id: result.scenario.id } : { file, ok: false, issues: result.issues });
    } else if (result.ok) {
      const steps = leafSteps(result.scenario.steps).length;
      io.stdout(`${file}: ok (${result.scenario.kind} ${result.scenario.id}, ${steps} step${steps === 1 ? '' : 's'})\n`);
    } else {
      for (const issue of result.issues) io.stderr(`${formatIssue(issue)}\n`);
      io.stderr(`${file}: ${result.issues.length} problem${result.issues.length === 1 ? '' : 's'}\n`);
    }
    if (!result.ok) invalid += 1;
  }
  if (flags.json) io.stdout(`${JSON.stringify(results, null, 2)}\n`);
  return invalid > 0 ? exitCodes.invalidInput : exitCodes.ok;
}
