/**
 * `drillbook validate FILE…`: every problem of every file at once; nothing runs. Warnings do not fail it. A
 * scenario's approver keys and trust files are read as a run would read them; a `*.trust.yaml` file is checked
 * as a trust file.
 */
import { builtinRunners } from '../../../runners/index.js';
import { formatIssue, isError, loadScenario } from '../../scenario/validate.js';
import { leafSteps } from '../../scenario/types.js';
import { checkApprovers, checkTrustFile } from '../../engine/approver-keys.js';
import { DrillbookError } from '../../errors.js';
import { trustFile } from '../../register/scan-scenarios.js';
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
    if (trustFile.test(file)) {
      const trust = attempt(() => checkTrustFile(file));
      if (flags.json) results.push(trust.ok ? { file, ok: true, kind: 'trust', ...trust.value } : { file, ok: false, kind: 'trust', problem: trust.problem });
      else if (trust.ok) io.stdout(`${file}: ok (trust file, ${count(trust.value.roles, 'role')}, ${count(trust.value.keys, 'key')})\n`);
      else io.stderr(`${trust.problem}\n${file}: 1 problem\n`);
      if (!trust.ok) invalid += 1;
      continue;
    }
    const loaded = await loadScenario(file, { catalog: builtinRunners, vars });
    const approvers = loaded.ok ? attempt(() => checkApprovers(loaded.scenario, builtinRunners)) : undefined;
    // Approver keys a run could not load make the scenario as unrunnable as a schema error.
    const result = loaded.ok && approvers && !approvers.ok ? { ok: false as const, issues: [...loaded.warnings, { file, line: 1, column: 1, severity: 'error' as const, code: 'approver-keys' as const, message: approvers.problem }] } : loaded;
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

function attempt<T>(check: () => T): { ok: true; value: T } | { ok: false; problem: string } {
  try {
    return { ok: true, value: check() };
  } catch (error) {
    if (!(error instanceof DrillbookError)) throw error;
    return { ok: false, problem: `${error.message}${error.hint ? ` (${error.hint})` : ''}` };
  }
}
