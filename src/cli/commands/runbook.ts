/** `drillbook runbook FILE`: the scenario as a runbook to carry out by hand, Markdown or printable HTML. */
import { builtinRunners } from '../../../runners/index.js';
import { compileScenario } from '../../scenario/compile.js';
import { renderRunbookHtml, renderRunbookMarkdown, runbookView } from '../../scenario/runbook.js';
import { formatIssue, loadScenario } from '../../scenario/validate.js';
import { exitCodes } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { parseVarFlags } from '../parse-vars.js';

export const runbookFormats = ['md', 'html'] as const;

export interface RunbookFlags {
  format?: (typeof runbookFormats)[number];
  var?: string[];
}

export async function runbookCommand(file: string, flags: RunbookFlags, io: CliIo): Promise<number> {
  const result = await loadScenario(file, { catalog: builtinRunners, vars: parseVarFlags(flags.var ?? []) });
  if (!result.ok) {
    for (const issue of result.issues) io.stderr(`${formatIssue(issue)}\n`);
    return exitCodes.invalidInput;
  }
  for (const warning of result.warnings) io.stderr(`${formatIssue(warning)}\n`);
  const view = runbookView(result.scenario, compileScenario(result.scenario));
  io.stdout(flags.format === 'html' ? renderRunbookHtml(view) : `${renderRunbookMarkdown(view)}\n`);
  return exitCodes.ok;
}
