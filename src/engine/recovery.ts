/**
 * What `drillbook recover` starts from: the bundle of an unfinished run, its scenario exactly as run (the
 * bundle's copy, checked against the digest in its journal, read with the folder the run used) and the
 * run's own inputs rebuilt from its journal. Nothing with a side effect happens here.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DrillbookError } from '../errors.js';
import { bundleLayout } from '../evidence/bundle-files.js';
import { eventsOfType, parseJournalEvents } from '../evidence/journal-events.js';
import { readJournal } from '../evidence/journal.js';
import type { RunnerCatalog } from '../runner-contract.js';
import { formatIssue, loadScenario } from '../scenario/validate.js';
import type { Scenario } from '../scenario/types.js';
import { prepareInputs, rebuildInputs, rebuildVarOverrides, resolutionChanges, type RunInputs } from './run-inputs.js';
import { entryLineSha256, firstLineSha256, readRunTicket } from './run-lock.js';

export interface Recovery {
  bundleDir: string;
  /** The store the run was started in: its lock and the previous record of the chain live there. */
  storeDir: string;
  runId: string;
  scenario: Scenario;
  inputs: RunInputs;
  /** Why a check could not be made (a journal from before inputs were journalled). */
  warnings: string[];
}

export interface RecoveryOptions {
  catalog: RunnerCatalog;
  /** Var values the operator gives again (only for vars journalled redacted). */
  varOverrides?: Record<string, string>;
  /** A copy of the run's ssh client config to read instead (same text). */
  sshConfigFile?: string;
  /**
   * Recover a bundle this machine has no ticket for (made on another machine, or a journal from before
   * tickets): the operator vouches for its scenario.yaml and journal. Recorded as a deviation.
   */
  trustBundle?: boolean;
  env?: NodeJS.ProcessEnv;
  /** The command that continues the run, as errors name it. */
  command?: 'recover' | 'resume';
}

export async function prepareRecovery(bundle: string, options: RecoveryOptions): Promise<Recovery> {
  const bundleDir = resolve(bundle);
  const command = options.command ?? 'recover';
  const file = join(bundleDir, bundleLayout.journal);
  if (!existsSync(file)) throw new DrillbookError('USAGE', `${bundle} has no ${bundleLayout.journal}: not a drillbook bundle`);
  const read = readJournal(file);
  const { events } = parseJournalEvents(read.entries);
  const started = eventsOfType(events, 'run.started')[0];
  if (!started) throw new DrillbookError('USAGE', `${file} has no run.started entry: the run stopped before anything ran, there is nothing to ${command}`);
  // A finished run without its record.json was stopped while sealing (or its disk was full): recover seals it.
  if (eventsOfType(events, 'run.finished').length > 0 && existsSync(join(bundleDir, bundleLayout.record))) {
    throw new DrillbookError('USAGE', `run ${started.data.runId} finished normally: there is nothing to ${command}`);
  }
  const record = started.data.inputs;
  const warnings: string[] = [];
  // The journal and scenario.yaml are in a store others may write to: only this machine's ticket, written
  // where only this user can write, says that this machine started this run with these bytes.
  const ticket = readRunTicket(started.data.runId, options.env);
  const expected = { bundle: bundleDir, scenarioSha256: started.data.scenarioSha256, startedLineSha256: firstLineSha256(file) };
  if (ticket) {
    const differs = (Object.keys(expected) as (keyof typeof expected)[]).filter((k) => ticket[k] !== undefined && ticket[k] !== expected[k]);
    if (differs.length) {
      throw new DrillbookError('PRECONDITION', `the bundle is not the one this machine started as run ${started.data.runId}: ${differs.join(', ')} differ`, {
        hint: 'its journal or scenario was changed after the run started; nothing was run',
      });
    }
    // The journal as far as the last barrier this machine saw on disk: cut short or rewritten since, it lies.
    if (ticket.journal && entryLineSha256(file, ticket.journal.entries) !== ticket.journal.headSha256) {
      throw new DrillbookError('PRECONDITION', `the journal of run ${started.data.runId} is not the one this machine wrote: its line ${ticket.journal.entries} was cut off or rewritten`, {
        hint: `its journal was changed after the run stopped; nothing was run (${command} trusts the journal to know what already ran)`,
      });
    }
  } else if (!options.trustBundle) {
    throw new DrillbookError('PRECONDITION', `this machine did not start run ${started.data.runId} (it has no ticket for it): the bundle's scenario and journal cannot be trusted`, {
      hint: 'when the run was made on another machine and you have checked its scenario.yaml and journal.jsonl, pass --trust-bundle',
    });
  } else warnings.push(`${command === 'resume' ? 'resumed' : 'recovered'} without a ticket of this machine: the operator vouched for the bundle`);
  if (!record && !options.trustBundle) {
    throw new DrillbookError('PRECONDITION', `the journal predates recorded inputs: the run cannot be ${command === 'resume' ? 'resumed' : 'recovered'} with its own inputs`, {
      hint: `pass --trust-bundle to ${command} it with the vars its run.started lists`,
    });
  }
  const varOverrides = record ? rebuildVarOverrides(record, options.varOverrides) : { ...started.data.vars, ...(options.varOverrides ?? {}) };
  if (!record) warnings.push('the journal predates recorded inputs: secrets and the ssh client config could not be checked against the run');
  const storeDir = record?.storeDir ?? dirname(dirname(bundleDir));
  const loaded = await loadScenario(join(bundleDir, bundleLayout.scenario), {
    catalog: options.catalog,
    vars: varOverrides,
    ...(record ? { sourceDir: record.scenarioDir } : {}),
  });
  if (!loaded.ok) {
    throw new DrillbookError('USAGE', `the bundle's ${bundleLayout.scenario} is not valid any more`, { details: loaded.issues.map(formatIssue).join('\n') });
  }
  const scenario = loaded.scenario;
  if (scenario.source.sha256 !== started.data.scenarioSha256) {
    throw new DrillbookError('PRECONDITION', `the bundle's ${bundleLayout.scenario} is not the scenario the run started with`, {
      details: `  journal: ${started.data.scenarioSha256}\n  file:    ${scenario.source.sha256}`,
      hint: `the bundle was altered; ${command} cannot know what the run ran`,
    });
  }
  const env = options.env ?? process.env;
  const inputs = record
    ? rebuildInputs(scenario, record, varOverrides, { env, ...(options.sshConfigFile ? { sshConfigFile: options.sshConfigFile } : {}) })
    : prepareInputs(scenario, { varOverrides, env, ...(options.sshConfigFile ? { sshConfigFile: options.sshConfigFile } : {}) });
  if (record) {
    const changed = await resolutionChanges(scenario, options.catalog, record, inputs);
    if (changed.length) {
      throw new DrillbookError('PRECONDITION', `the run cannot be ${command === 'resume' ? 'resumed' : 'recovered'} with its own inputs`, {
        details: changed.map((p) => `  ${p}`).join('\n'),
        hint: 'restore the files and environment the run used (nothing was run)',
      });
    }
  }
  return { bundleDir, storeDir, runId: started.data.runId, scenario, inputs, warnings };
}
