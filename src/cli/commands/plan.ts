/** `drillbook plan FILE`: the compiled machine as text, Mermaid, or the plain-data config itself. */
import { builtinRunners } from '../../../runners/index.js';
import { compileScenario } from '../../scenario/compile.js';
import { renderPlanMermaid, renderPlanText } from '../../scenario/plan.js';
import { formatIssue, loadScenario } from '../../scenario/validate.js';
import { DrillbookError } from '../../errors.js';
import { exitCodes } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { parseVarFlags } from '../parse-vars.js';

export const planFormats = ['text', 'mermaid', 'json'] as const;

export interface PlanFlags {
  format?: string;
  var?: string[];
}

export async function planCommand(file: string, flags: PlanFlags, io: CliIo): Promise<number> {
  const format = flags.format ?? 'text';
  if (!(planFormats as readonly string[]).includes(format)) {
    throw new DrillbookError('USAGE', `--format ${JSON.stringify(format)}: expected one of ${planFormats.join(', ')}`);
  }
  const result = await loadScenario(file, { catalog: builtinRunners, vars: parseVarFlags(flags.var ?? []) });
  if (!result.ok) {
    for (const issue of result.issues) io.stderr(`${formatIssue(issue)}\n`);
    return exitCodes.invalidInput;
  }
  for (const warning of result.warnings) io.stderr(`${formatIssue(warning)}\n`);
  // Every format is the compiled machine that runs: its config, or a rendering of it.
  const compiled = compileScenario(result.scenario);
  if (format === 'json') io.stdout(`${JSON.stringify(compiled.machine, null, 2)}\n`);
  else if (format === 'mermaid') io.stdout(renderPlanMermaid(compiled));
  else io.stdout(renderPlanText(compiled));
  return exitCodes.ok;
}
