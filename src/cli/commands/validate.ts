/** `drillbook validate FILE…`: every problem of every file at once; nothing runs. Warnings do not fail it. */
import { builtinRunners } from '../../../runners/index.js';
import { formatIssue, isError, loadScenario } from '../../scenario/validate.js';
import { leafSteps } from '../../scenario/types.js';
import { exitCodes } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { parseVarFlags } from '../parse-vars.js';

export interface ValidateFlags {
  var?: string[];
  json?: boolean;
}

const count = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

export async function validateCommand(files: readonly string[], flags: ValidateFlags, io: CliIo): Promise<number> {
  const vars = parseVarFlags(flags.var ?? []);
  let invalid = 0;
  const results: unknown[] = [];
  for (const file of files) {
    const result = await loadScenario(file, { catalog: builtinRunners, vars });
    const issues = result.ok ? result.warnings : result.issues;
    const errors = issues.filter(isError).length;
    const warnings = issues.length - errors;
    if (flags.json) {
      results.push(result.ok ? { file, ok: true, id: result.scenario.id, warnings: result.warnings } : { file, ok: false, issues: result.issues });
    } else {
      for (const issue of issues) io.stderr(`${formatIssue(issue)}\n`);
      if (result.ok) {
        const steps = leafSteps(result.scenario.steps).length;
        io.stdout(`${file}: ok (${result.scenario.kind} ${result.scenario.id}, ${count(steps, 'step')}${warnings ? `, ${count(warnings, 'warning')}` : ''})\n`);
      } else {
        io.stderr(`${file}: ${count(errors, 'problem')}${warnings ? `, ${count(warnings, 'warning')}` : ''}\n`);
      }
    }
    if (!result.ok) invalid += 1;
  }
  if (flags.json) io.stdout(`${JSON.stringify(results, null, 2)}\n`);
  return invalid > 0 ? exitCodes.invalidInput : exitCodes.ok;
}
