/** `drillbook run FILE`: validate, then run with live progress; the bundle is sealed before the exit code. */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { builtinRunners } from '../../../runners/index.js';
import { runbookScenarioSha256 } from '../../scenario/runbook.js';
import { prepareRunInputs } from '../../engine/run-inputs.js';
import { DrillbookError } from '../../errors.js';
import { formatIssue, loadScenario } from '../../scenario/validate.js';
import { withRunSignals, type Drive } from '../drive-run.js';
import { exitCodes } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { parseVarFlags } from '../parse-vars.js';
import type { SignalSource } from '../signal-ladder.js';

export interface RunFlags {
  out?: string;
  store?: string;
  var?: string[];
  operator?: string;
  yes?: boolean;
  json?: boolean;
  signKey?: string;
  breakLock?: boolean;
  sshConfig?: string;
  runbook?: string;
}

export { exitCodeForRun } from '../run-outcome.js';
export type { SignalSource } from '../signal-ladder.js';

export async function runCommand(file: string, flags: RunFlags, terminal: CliIo, signals: SignalSource): Promise<number> {
  return withRunSignals(terminal, signals, flags, (drive) => startRun(file, flags, terminal, drive));
}

async function startRun(file: string, flags: RunFlags, terminal: CliIo, drive: Drive): Promise<number> {
  const varOverrides = parseVarFlags(flags.var ?? []);
  const result = await loadScenario(file, { catalog: builtinRunners, vars: varOverrides });
  if (!result.ok) {
    for (const issue of result.issues) terminal.stderr(`${formatIssue(issue)}\n`);
    return exitCodes.invalidInput;
  }
  for (const warning of result.warnings) terminal.stderr(`${formatIssue(warning)}\n`);
  const scenario = result.scenario;
  const production = scenario.environment === 'production';
  if (production && !flags.yes && !terminal.confirm) {
    throw new DrillbookError('USAGE', `${scenario.id} targets production and there is no terminal to confirm on`, {
      hint: 'pass --yes to confirm non-interactively',
    });
  }
  // Default: ~/.ssh/config when it exists, as ops users expect; --ssh-config names another file.
  const runbook = flags.runbook ? runbookAtHand(flags.runbook) : undefined;
  const inputs = await prepareRunInputs(scenario, builtinRunners, { varOverrides, ...(flags.sshConfig ? { sshConfigFile: flags.sshConfig } : {}) });
  return drive(scenario, inputs, {
    mode: 'fresh',
    storeDir: flags.store ?? 'reports',
    ...(flags.out ? { bundleDir: flags.out } : {}),
    ...(flags.breakLock ? { breakLock: true } : {}),
    ...(runbook ? { runbook } : {}),
  });
}

/** The runbook the team printed or keeps in a wiki: its digest, and the scenario digest it says it was made from. */
function runbookAtHand(file: string): { file: string; sha256: string; scenarioSha256?: string } {
  let bytes: Buffer;
  try {
    if (statSync(file).size > runbookLimitBytes) throw new DrillbookError('USAGE', `--runbook ${file} is larger than ${runbookLimitBytes} bytes: not a runbook`);
    bytes = readFileSync(file);
  } catch (error) {
    if (error instanceof DrillbookError) throw error;
    throw new DrillbookError('USAGE', `cannot read --runbook ${file}: ${(error as Error).message}`, { hint: 'name the runbook file drillbook runbook wrote' });
  }
  const scenarioSha256 = runbookScenarioSha256(bytes.toString('utf8'));
  return { file: basename(file), sha256: createHash('sha256').update(bytes).digest('hex'), ...(scenarioSha256 ? { scenarioSha256 } : {}) };
}

const runbookLimitBytes = 64 * 1024 * 1024;
