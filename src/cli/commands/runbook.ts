/** `drillbook runbook FILE`: the scenario as a runbook to carry out by hand, Markdown, printable HTML or PDF. */
import { builtinRunners } from '../../../runners/index.js';
import { resolveSshConfigFile } from '../../engine/run-inputs.js';
import { DrillbookError } from '../../errors.js';
import { writeFileAtomic } from '../../evidence/atomic-write.js';
import type { RunnerCatalog, RunnerSettings, Target } from '../../runner-contract.js';
import { compileScenario } from '../../scenario/compile.js';
import { renderRunbookHtml, renderRunbookMarkdown, runbookView } from '../../scenario/runbook.js';
import type { Scenario } from '../../scenario/types.js';
import { formatIssue, loadScenario } from '../../scenario/validate.js';
import { exitCodes } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { parseVarFlags } from '../parse-vars.js';
import { printToPdf } from '../print-pdf.js';

export const runbookFormats = ['md', 'html', 'pdf'] as const;

export interface RunbookFlags {
  format?: (typeof runbookFormats)[number];
  var?: string[];
  out?: string;
  sshConfig?: string;
  chromium?: string;
}

/** What each runner says a person must check on the targets (host keys), read from local files only. */
async function targetFacts(scenario: Scenario, catalog: RunnerCatalog, settings: RunnerSettings): Promise<Record<string, string[]>> {
  const facts: Record<string, string[]> = {};
  const asked = new Set<unknown>();
  for (const definition of Object.values(catalog)) {
    const describe = definition.targetFacts;
    if (!describe || asked.has(describe)) continue;
    asked.add(describe);
    const kinds = new Set(Object.values(catalog).filter((d) => d.targetFacts === describe).flatMap((d) => d.targetKinds));
    const targets: Record<string, Target> = Object.fromEntries(Object.entries(scenario.targets).filter(([, t]) => kinds.has(t.kind)));
    if (Object.keys(targets).length) Object.assign(facts, await describe({ targets, baseDir: scenario.source.dir, settings }));
  }
  return facts;
}

export async function runbookCommand(file: string, flags: RunbookFlags, io: CliIo): Promise<number> {
  const format = flags.format ?? 'md';
  if (format === 'pdf' && !flags.out) throw new DrillbookError('USAGE', '--format pdf writes a file', { hint: 'name it with --out FILE.pdf' });
  const result = await loadScenario(file, { catalog: builtinRunners, vars: parseVarFlags(flags.var ?? []) });
  if (!result.ok) {
    for (const issue of result.issues) io.stderr(`${formatIssue(issue)}\n`);
    return exitCodes.invalidInput;
  }
  for (const warning of result.warnings) io.stderr(`${formatIssue(warning)}\n`);
  const scenario = result.scenario;
  const settings: RunnerSettings = { sshConfigFile: resolveSshConfigFile(flags.sshConfig, process.env), env: process.env };
  const view = runbookView(scenario, compileScenario(scenario), await targetFacts(scenario, builtinRunners, settings));
  if (format === 'pdf') {
    await printToPdf(renderRunbookHtml(view), flags.out ?? '', flags.chromium);
    return exitCodes.ok;
  }
  const text = format === 'html' ? renderRunbookHtml(view) : `${renderRunbookMarkdown(view)}\n`;
  if (flags.out) writeFileAtomic(flags.out, text);
  else io.stdout(text);
  return exitCodes.ok;
}
