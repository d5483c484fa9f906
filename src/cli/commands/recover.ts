/** `drillbook recover BUNDLE`: finish a run that crashed or whose cleanup was abandoned. */
import { join } from 'node:path';
import { builtinRunners } from '../../../runners/index.js';
import { bundleFiles } from '../../engine/run-drill.js';
import { recoverRun } from '../../engine/recover.js';
import { formatIssue, loadScenario } from '../../scenario/validate.js';
import { exitCodes } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { operatorName } from '../operator.js';
import { createProgress } from '../progress.js';
import { renderSummary } from '../summary.js';
import { toolVersion } from '../version.js';

export interface RecoverFlags {
  operator?: string;
  signKey?: string;
  json?: boolean;
  sshConfig?: string;
}

export async function recoverCommand(bundle: string, flags: RecoverFlags, io: CliIo): Promise<number> {
  // The scenario as it was run: the copy sealed into the bundle, not whatever the file says today.
  const result = await loadScenario(join(bundle, bundleFiles.scenario), { catalog: builtinRunners });
  if (!result.ok) {
    for (const issue of result.issues) io.stderr(`${formatIssue(issue)}\n`);
    return exitCodes.invalidInput;
  }
  const progress = createProgress(flags.json ? 'json' : 'plain', io, undefined);
  const signingKeyFile = flags.signKey ?? process.env['DRILLBOOK_SIGNING_KEY'];
  try {
    const outcome = await recoverRun(bundle, result.scenario, {
      runners: builtinRunners,
      runnerSettings: flags.sshConfig ? { sshConfigFile: flags.sshConfig } : {},
      operator: operatorName(flags.operator),
      toolVersion: toolVersion(),
      ...(signingKeyFile ? { signingKeyFile } : {}),
      onEvent: (event) => progress.onEvent(event),
    });
    if (!outcome.seal.sealed) {
      io.stderr(`drillbook: evidence not sealed: ${outcome.seal.message}\n`);
      return exitCodes.evidenceNotSealed;
    }
    io.stdout(renderSummary(outcome.record, outcome.bundleDir, outcome.seal.keyid));
    // Recovered means: nothing left running and every cleanup step passed. The run itself stays ABORTED.
    const clean =
      outcome.record.cleanup.every((s) => s.status === 'passed') &&
      !outcome.record.deviations.some((d) => d.includes('could not be confirmed stopped'));
    return clean ? exitCodes.ok : exitCodes.notPassed;
  } finally {
    progress.stop();
  }
}
