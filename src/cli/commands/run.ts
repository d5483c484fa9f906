/** `drillbook run FILE`: validate, then run with live progress; the bundle is sealed before the exit code. */
import { builtinRunners } from '../../../runners/index.js';
import { executeRun, type RunningDrill } from '../../engine/run.js';
import { prepareRunInputs } from '../../engine/run-inputs.js';
import { DrillbookError } from '../../errors.js';
import { formatIssue, loadScenario } from '../../scenario/validate.js';
import { redactingIo, type CliIo } from '../io.js';
import { operatorName } from '../operator.js';
import { parseVarFlags } from '../parse-vars.js';
import { createProgress, type Progress } from '../progress.js';
import { reportRunOutcome } from '../run-outcome.js';
import { installSignalLadder, type SignalLadder, type SignalSource } from '../signal-ladder.js';
import { exitCodeForSignal, exitCodes } from '../exit-codes.js';
import { toolVersion } from '../version.js';
import type { OperatorPrompt } from '../../engine/operator-desk.js';
import { revealInvisible } from '../../visible-text.js';
import { answerCommandLine, approveCommandLine } from '../answer-hint.js';
import { createManualPrompt } from '../manual-prompt.js';

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

export { exitCodeForRun } from '../run-outcome.js';
export type { SignalSource } from '../signal-ladder.js';

export async function runCommand(file: string, flags: RunFlags, terminal: CliIo, signals: SignalSource): Promise<number> {
  // Listening from the start: a signal before the run exists must not kill the process half-way through
  // taking its lock and opening its journal; it only stops the run from starting.
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
  try {
    return await startRun(file, flags, terminal, ladder, (r, p) => {
      running = r;
      progress = p;
    });
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

async function startRun(
  file: string,
  flags: RunFlags,
  terminal: CliIo,
  ladder: SignalLadder,
  started: (running: RunningDrill, progress: Progress) => void,
): Promise<number> {
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
  const inputs = await prepareRunInputs(scenario, builtinRunners, { varOverrides, ...(flags.sshConfig ? { sshConfigFile: flags.sshConfig } : {}) });
  if (ladder.first) return exitCodeForSignal(ladder.first);
  // Until the run exists nothing of its secrets is printed; from then on every line is redacted.
  let redact = (text: string): string => text;
  const io = redactingIo(terminal, (text) => redact(text));
  const progress = createProgress(flags.json ? 'json' : io.isTTY ? 'tty' : 'plain', io, scenario.objectives.rtoMs);
  const signingKeyFile = flags.signKey ?? process.env['DRILLBOOK_SIGNING_KEY'];
  const prompt = !flags.json && io.terminal ? manualPrompt(io, progress, (text) => revealInvisible(redact(text))) : undefined;
  let bundleDir = '';
  const running = executeRun(scenario, inputs, {
    mode: 'fresh',
    storeDir: flags.store ?? 'reports',
    ...(flags.out ? { bundleDir: flags.out } : {}),
    runners: builtinRunners,
    operator: operatorName(flags.operator),
    toolVersion: toolVersion(),
    ...(signingKeyFile ? { signingKeyFile } : {}),
    ...(flags.breakLock ? { breakLock: true } : {}),
    ...(prompt ? { prompt } : {}),
    onEvent: (event) => {
      progress.onEvent(event);
      if (event.type === 'manual.waiting' && !prompt) progress.note(`answer with: ${answerCommandLine(bundleDir, event.data.stepId)}`);
      if (event.type === 'approval.requested') progress.note(`approve with: ${approveCommandLine(bundleDir)}`);
    },
    confirm: async () => {
      if (flags.yes) return true;
      return io.confirm ? io.confirm(`Run ${scenario.id} against PRODUCTION now? Type yes to continue: `) : false;
    },
  });
  redact = running.redact;
  bundleDir = running.bundleDir;
  started(running, progress);
  progress.note(`run ${running.runId} → ${running.bundleDir}`);
  // A signal that came while the run was being opened reaches it now.
  if (ladder.first) running.interrupt(ladder.first);
  const outcome = await running.done;
  return reportRunOutcome(outcome, io, { json: flags.json === true, scenarioId: scenario.id });
}
