/**
 * Driving a run from the terminal, for `run` and `resume`: the signal ladder (stop and clean up, then abandon),
 * live progress, manual steps prompted on the terminal or answered from elsewhere, the production confirmation,
 * and the outcome's summary and exit code.
 */
import { builtinRunners } from '../../runners/index.js';
import type { OperatorPrompt } from '../engine/operator-desk.js';
import type { RunInputs } from '../engine/run-inputs.js';
import { executeRun, type ExecuteOptions, type RunningDrill } from '../engine/run.js';
import type { Scenario } from '../scenario/types.js';
import { revealInvisible } from '../visible-text.js';
import { answerCommandLine, approveCommandLine } from './answer-hint.js';
import { exitCodeForSignal } from './exit-codes.js';
import { redactingIo, type CliIo } from './io.js';
import { createManualPrompt } from './manual-prompt.js';
import { operatorName } from './operator.js';
import { createProgress, type Progress } from './progress.js';
import { reportRunOutcome } from './run-outcome.js';
import { installSignalLadder, type SignalLadder, type SignalSource } from './signal-ladder.js';
import { toolVersion } from './version.js';

export interface DriveFlags {
  operator?: string;
  yes?: boolean;
  json?: boolean;
  signKey?: string;
}

/** What differs between the commands: how the run is opened (fresh in a store, or continued in its bundle). */
export type OpenOptions = Pick<ExecuteOptions, 'mode' | 'storeDir' | 'bundleDir' | 'breakLock' | 'deviations' | 'runbook'>;

export type Drive = (scenario: Scenario, inputs: RunInputs, open: OpenOptions) => Promise<number>;

/**
 * Listen for signals from the start (a signal before the run exists must not kill the process half-way through
 * taking its lock and opening its journal; it only stops the run from starting), then let `body` start the run.
 */
export async function withRunSignals(terminal: CliIo, signals: SignalSource, flags: DriveFlags, body: (drive: Drive, ladder: SignalLadder) => Promise<number>): Promise<number> {
  let running: RunningDrill | undefined;
  let progress: Progress | undefined;
  const say = (text: string): void => (progress ? progress.note(text) : terminal.stderr(`${text}\n`));
  const ladder = installSignalLadder(signals, [
    (signal) => {
      say(`${signal}: stopping the steps and running cleanup (the record will say ABORTED)`);
      running?.interrupt(signal);
    },
    () => say('cleanup is still running. Signal once more to abandon it: the run then stays unfinished until `drillbook recover` completes it.'),
    () => {
      say('abandoning cleanup; writing the record');
      running?.abandon();
    },
  ]);
  const drive: Drive = async (scenario, inputs, open) => {
    if (ladder.first) return exitCodeForSignal(ladder.first);
    // Until the run exists nothing of its secrets is printed; from then on every line is redacted.
    let redact = (text: string): string => text;
    const io = redactingIo(terminal, (text) => redact(text));
    progress = createProgress(flags.json ? 'json' : io.isTTY ? 'tty' : 'plain', io, scenario.objectives.rtoMs);
    const shown = progress;
    const signingKeyFile = flags.signKey ?? process.env['DRILLBOOK_SIGNING_KEY'];
    const prompt = !flags.json && io.terminal ? manualPrompt(io, shown, (text) => revealInvisible(redact(text))) : undefined;
    let bundleDir = '';
    running = executeRun(scenario, inputs, {
      ...open,
      runners: builtinRunners,
      operator: operatorName(flags.operator),
      toolVersion: toolVersion(),
      ...(signingKeyFile ? { signingKeyFile } : {}),
      ...(prompt ? { prompt } : {}),
      onEvent: (event) => {
        shown.onEvent(event);
        if (event.type === 'manual.waiting' && !prompt) shown.note(`answer with: ${answerCommandLine(bundleDir, event.data.stepId)}`);
        if (event.type === 'approval.requested') shown.note(`approve with: ${approveCommandLine(bundleDir, event.data.stepId)}`);
      },
      confirm: async () => {
        if (flags.yes) return true;
        return io.confirm ? io.confirm(`Run ${scenario.id} against PRODUCTION now? Type yes to continue: `) : false;
      },
    });
    redact = running.redact;
    bundleDir = running.bundleDir;
    shown.note(`run ${running.runId} → ${running.bundleDir}${open.mode === 'resume' ? ' (resumed)' : ''}`);
    // A signal that came while the run was being opened reaches it now.
    if (ladder.first) running.interrupt(ladder.first);
    const outcome = await running.done;
    return reportRunOutcome(outcome, io, { json: flags.json === true, scenarioId: scenario.id });
  };
  try {
    return await body(drive, ladder);
  } finally {
    ladder.dispose();
    progress?.stop();
  }
}

function manualPrompt(io: CliIo, progress: Progress, safe: (text: string) => string): OperatorPrompt | undefined {
  const terminal = io.terminal;
  if (!terminal) return undefined;
  return createManualPrompt({
    input: terminal.input,
    output: terminal.output,
    sinceT0: () => progress.sinceT0(),
    hold: () => progress.hold(),
    // The same path as a Ctrl-C outside the prompt: the signal ladder counts it.
    interrupt: () => process.kill(process.pid, 'SIGINT'),
    safe,
  });
}
