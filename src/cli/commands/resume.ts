/**
 * `drillbook resume BUNDLE`: continue a crashed or abandoned run from its journal, with its own inputs. Steps
 * that finished keep their results; one cut short runs again only when that is safe (see engine/resume-plan.ts).
 */
import { builtinRunners } from '../../../runners/index.js';
import { prepareRecovery } from '../../engine/recovery.js';
import { DrillbookError } from '../../errors.js';
import { withRunSignals } from '../drive-run.js';
import type { CliIo } from '../io.js';
import { parseVarFlags } from '../parse-vars.js';
import type { SignalSource } from '../signal-ladder.js';

export interface ResumeFlags {
  operator?: string;
  signKey?: string;
  json?: boolean;
  yes?: boolean;
  /** Values of var overrides the run's journal could only keep redacted (they held a secret). */
  var?: string[];
  /** A copy of the ssh client config the run read (it must hold the same text). */
  sshConfig?: string;
  /** Resume a bundle this machine did not start (its scenario and journal checked by the operator). */
  trustBundle?: boolean;
}

export async function resumeCommand(bundle: string, flags: ResumeFlags, terminal: CliIo, signals: SignalSource): Promise<number> {
  return withRunSignals(terminal, signals, flags, async (drive) => {
    const recovery = await prepareRecovery(bundle, {
      catalog: builtinRunners,
      command: 'resume',
      varOverrides: parseVarFlags(flags.var ?? []),
      ...(flags.sshConfig ? { sshConfigFile: flags.sshConfig } : {}),
      ...(flags.trustBundle ? { trustBundle: true } : {}),
    });
    for (const warning of recovery.warnings) terminal.stderr(`drillbook: warning: ${warning}\n`);
    const scenario = recovery.scenario;
    // The run's own confirmation was for its start: continuing production steps is asked again, before anything.
    if (scenario.environment === 'production' && !flags.yes) {
      if (!terminal.confirm) {
        throw new DrillbookError('USAGE', `${scenario.id} targets production and there is no terminal to confirm on`, { hint: 'pass --yes to confirm non-interactively' });
      }
      if (!(await terminal.confirm(`Resume run ${recovery.runId} of ${scenario.id} against PRODUCTION now? Type yes to continue: `))) {
        throw new DrillbookError('USAGE', 'not confirmed: nothing was resumed', { hint: `the run stays unfinished; \`drillbook recover ${recovery.bundleDir}\` closes it` });
      }
    }
    return drive(scenario, recovery.inputs, {
      mode: 'resume',
      // The store the bundle is in: the lock and the previous record of the chain live there.
      storeDir: recovery.storeDir,
      bundleDir: recovery.bundleDir,
      deviations: recovery.warnings,
    });
  });
}
