/** `drillbook recover BUNDLE`: finish a run that crashed or whose cleanup was abandoned, with its own inputs. */
import { builtinRunners } from '../../../runners/index.js';
import { prepareRecovery } from '../../engine/recovery.js';
import { executeRun, type RunningDrill } from '../../engine/run.js';
import { exitCodes } from '../exit-codes.js';
import { redactingIo, type CliIo } from '../io.js';
import { operatorName } from '../operator.js';
import { parseVarFlags } from '../parse-vars.js';
import { createProgress } from '../progress.js';
import { reportRunOutcome } from '../run-outcome.js';
import { installSignalLadder, type SignalSource } from '../signal-ladder.js';
import { toolVersion } from '../version.js';

export interface RecoverFlags {
  operator?: string;
  signKey?: string;
  json?: boolean;
  /** Values of var overrides the run's journal could only keep redacted (they held a secret). */
  var?: string[];
  /** A copy of the ssh client config the run read (it must hold the same text). */
  sshConfig?: string;
  /** Recover a bundle this machine did not start (its scenario and journal checked by the operator). */
  trustBundle?: boolean;
}

export async function recoverCommand(bundle: string, flags: RecoverFlags, terminal: CliIo, signals: SignalSource): Promise<number> {
  // Listening from the start, so a signal never kills the process while it takes over the run's lock.
  let running: RunningDrill | undefined;
  const ladder = installSignalLadder(signals, [
    () => terminal.stderr('drillbook: recovery is running the cleanup. Signal once more to abandon it: the run then stays unfinished.\n'),
    () => {
      terminal.stderr('drillbook: abandoning the recovery; the run stays unfinished\n');
      running?.abandon();
    },
  ]);
  try {
    return await recover(bundle, flags, terminal, (r) => (running = r));
  } finally {
    ladder.dispose();
  }
}

async function recover(bundle: string, flags: RecoverFlags, terminal: CliIo, started: (running: RunningDrill) => void): Promise<number> {
  const recovery = await prepareRecovery(bundle, {
    catalog: builtinRunners,
    varOverrides: parseVarFlags(flags.var ?? []),
    ...(flags.sshConfig ? { sshConfigFile: flags.sshConfig } : {}),
    ...(flags.trustBundle ? { trustBundle: true } : {}),
  });
  for (const warning of recovery.warnings) terminal.stderr(`drillbook: warning: ${warning}\n`);
  // Until the run exists nothing of its secrets is printed; from then on every line is redacted.
  let redact = (text: string): string => text;
  const io = redactingIo(terminal, (text) => redact(text));
  const progress = createProgress(flags.json ? 'json' : 'plain', io, undefined);
  const signingKeyFile = flags.signKey ?? process.env['DRILLBOOK_SIGNING_KEY'];
  const running = executeRun(recovery.scenario, recovery.inputs, {
    mode: 'recover',
    // The store the bundle is in: the lock and the previous record of the chain live there.
    storeDir: recovery.storeDir,
    deviations: recovery.warnings,
    bundleDir: recovery.bundleDir,
    runners: builtinRunners,
    operator: operatorName(flags.operator),
    toolVersion: toolVersion(),
    ...(signingKeyFile ? { signingKeyFile } : {}),
    onEvent: (event) => progress.onEvent(event),
  });
  redact = running.redact;
  started(running);
  try {
    const outcome = await running.done;
    const code = reportRunOutcome(outcome, io, { json: flags.json === true, scenarioId: recovery.scenario.id });
    if (!outcome.seal.sealed) return code;
    // Recovered means: nothing left running and every cleanup step passed. The run itself stays ABORTED.
    const clean =
      outcome.record.cleanup.every((s) => s.status === 'passed' || s.status === 'not-run') &&
      !outcome.record.deviations.some((d) => d.includes('could not be confirmed stopped'));
    return clean ? exitCodes.ok : exitCodes.notPassed;
  } finally {
    progress.stop();
  }
}
