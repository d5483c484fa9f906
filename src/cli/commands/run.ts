/** `drillbook run FILE`: validate, then run with live progress; the bundle is sealed before the exit code. */
import { builtinRunners } from '../../../runners/index.js';
import { startRun, type RunResult } from '../../engine/run-drill.js';
import { DrillbookError } from '../../errors.js';
import type { RunRecord } from '../../evidence/run-record.js';
import { formatIssue, loadScenario } from '../../scenario/validate.js';
import { exitCodeForVerdict, exitCodes } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { operatorName } from '../operator.js';
import { parseVarFlags } from '../parse-vars.js';
import { createProgress } from '../progress.js';
import { preflightSsh } from '../ssh-preflight.js';
import { renderSummary } from '../summary.js';
import { toolVersion } from '../version.js';

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
}

/** Signals the command listens to; index.ts provides the process. */
export interface SignalSource {
  on(signal: 'SIGINT' | 'SIGTERM', listener: () => void): void;
  off(signal: 'SIGINT' | 'SIGTERM', listener: () => void): void;
}

export function exitCodeForRun(record: RunRecord): number {
  if (record.endReason === 'signal') return record.signal === 'SIGTERM' ? exitCodes.interruptedSigterm : exitCodes.interruptedSigint;
  if (record.endReason === 'precondition-failed') return exitCodes.preconditionFailed;
  return exitCodeForVerdict(record.verdict);
}

export async function runCommand(file: string, flags: RunFlags, io: CliIo, signals: SignalSource): Promise<number> {
  const result = await loadScenario(file, { catalog: builtinRunners, vars: parseVarFlags(flags.var ?? []) });
  if (!result.ok) {
    for (const issue of result.issues) io.stderr(`${formatIssue(issue)}\n`);
    return exitCodes.invalidInput;
  }
  const scenario = result.scenario;
  const production = scenario.environment === 'production';
  if (production && !flags.yes && !io.confirm) {
    throw new DrillbookError('USAGE', `${scenario.id} targets production and there is no terminal to confirm on`, {
      hint: 'pass --yes to confirm non-interactively',
    });
  }
  // Readiness before anything with a side effect: a host that cannot be reached stops the run here (exit 4).
  // Default: ~/.ssh/config when it exists, as ops users expect; --ssh-config names another file.
  const runnerSettings = flags.sshConfig ? { sshConfigFile: flags.sshConfig } : {};
  const preflight = await preflightSsh(scenario, runnerSettings);
  if (!preflight.ok) {
    for (const line of preflight.lines) io.stderr(`${line}\n`);
    io.stderr(`drillbook: ${scenario.id}: readiness check failed; nothing ran (see \`drillbook check\`)\n`);
    return exitCodes.preconditionFailed;
  }
  const progress = createProgress(flags.json ? 'json' : io.isTTY ? 'tty' : 'plain', io, scenario.objectives.rtoMs);
  const signingKeyFile = flags.signKey ?? process.env['DRILLBOOK_SIGNING_KEY'];
  const running = startRun(scenario, {
    storeDir: flags.store ?? 'reports',
    ...(flags.out ? { outDir: flags.out } : {}),
    runners: builtinRunners,
    runnerSettings,
    operator: operatorName(flags.operator),
    toolVersion: toolVersion(),
    ...(signingKeyFile ? { signingKeyFile } : {}),
    ...(flags.breakLock ? { breakLock: true } : {}),
    onEvent: (event) => progress.onEvent(event),
    confirm: async () => {
      if (flags.yes) return true;
      return io.confirm ? io.confirm(`Run ${scenario.id} against PRODUCTION now? Type yes to continue: `) : false;
    },
  });
  progress.note(`run ${running.runId} → ${running.bundleDir}`);

  let interrupts = 0;
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => () => {
    interrupts += 1;
    if (interrupts === 1) {
      progress.note(`${signal}: stopping the steps and running cleanup (the record will say ABORTED)`);
      running.interrupt(signal);
    } else if (interrupts === 2) {
      progress.note('cleanup is still running. Interrupt once more to abandon it: the run then stays unfinished until `drillbook recover` completes it.');
    } else {
      progress.note('abandoning cleanup; writing the record');
      running.abandon();
    }
  };
  const onInt = onSignal('SIGINT');
  const onTerm = onSignal('SIGTERM');
  signals.on('SIGINT', onInt);
  signals.on('SIGTERM', onTerm);
  let outcome: RunResult;
  try {
    outcome = await running.done;
  } finally {
    signals.off('SIGINT', onInt);
    signals.off('SIGTERM', onTerm);
    progress.stop();
  }
  if (!outcome.seal.sealed) {
    io.stderr(`drillbook: evidence not sealed: ${outcome.seal.message}\n`);
    return exitCodes.evidenceNotSealed;
  }
  const summary = renderSummary(outcome.record, outcome.bundleDir, outcome.seal.keyid);
  if (flags.json) io.stderr(summary);
  else io.stdout(summary);
  return exitCodeForRun(outcome.record);
}
