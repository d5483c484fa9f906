/**
 * What `drillbook recover` starts from: the bundle of an unfinished run, its scenario exactly as run (the
 * bundle's copy, checked against the digest in its journal, read with the folder the run used) and the
 * run's own inputs rebuilt from its journal. Nothing with a side effect happens here.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DrillbookError } from '../errors.js';
import { bundleLayout } from '../evidence/bundle-files.js';
import { eventsOfType, parseJournalEvents } from '../evidence/journal-events.js';
import { readJournal } from '../evidence/journal.js';
import type { RunnerCatalog } from '../runner-contract.js';
import { formatIssue, loadScenario } from '../scenario/validate.js';
import type { Scenario } from '../scenario/types.js';
import { prepareInputs, rebuildInputs, rebuildVarOverrides, type RunInputs } from './run-inputs.js';

export interface Recovery {
  bundleDir: string;
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
  env?: NodeJS.ProcessEnv;
}

export async function prepareRecovery(bundle: string, options: RecoveryOptions): Promise<Recovery> {
  const bundleDir = resolve(bundle);
  const file = join(bundleDir, bundleLayout.journal);
  if (!existsSync(file)) throw new DrillbookError('USAGE', `${bundle} has no ${bundleLayout.journal}: not a drillbook bundle`);
  const read = readJournal(file);
  const { events } = parseJournalEvents(read.entries);
  const started = eventsOfType(events, 'run.started')[0];
  if (!started) throw new DrillbookError('USAGE', `${file} has no run.started entry: the run stopped before anything ran, there is nothing to recover`);
  // A finished run without its record.json was stopped while sealing (or its disk was full): recover seals it.
  if (eventsOfType(events, 'run.finished').length > 0 && existsSync(join(bundleDir, bundleLayout.record))) {
    throw new DrillbookError('USAGE', `run ${started.data.runId} finished normally: there is nothing to recover`);
  }
  const record = started.data.inputs;
  const warnings: string[] = [];
  const varOverrides = record ? rebuildVarOverrides(record, options.varOverrides) : { ...started.data.vars, ...(options.varOverrides ?? {}) };
  if (!record) warnings.push('the journal predates recorded inputs: secrets and the ssh client config could not be checked against the run');
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
      hint: 'the bundle was altered; recover cannot know what the run ran',
    });
  }
  const env = options.env ?? process.env;
  const inputs = record
    ? rebuildInputs(scenario, record, varOverrides, { env, ...(options.sshConfigFile ? { sshConfigFile: options.sshConfigFile } : {}) })
    : prepareInputs(scenario, { varOverrides, env, ...(options.sshConfigFile ? { sshConfigFile: options.sshConfigFile } : {}) });
  return { bundleDir, runId: started.data.runId, scenario, inputs, warnings };
}
