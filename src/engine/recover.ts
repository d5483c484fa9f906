/**
 * Close a run that crashed or was abandoned: stop the processes it left running (their ids are in its
 * journal), run the cleanup steps it had not finished, and seal its record as ABORTED (crashed).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DrillbookError } from '../errors.js';
import { readJournal, reopenJournal } from '../evidence/journal.js';
import { sealBundle } from '../evidence/seal.js';
import { createLogger } from '../log.js';
import { createRedactor } from '../redact.js';
import type { ProcessInfo } from '../runner-contract.js';
import type { Scenario } from '../scenario/types.js';
import { leafSteps } from '../scenario/types.js';
import { systemClock } from './clock.js';
import { journalEvents, type JournalEvent } from './project-record.js';
import { startDrill } from './run.js';
import { bundleFiles, lockFileFor, type RunDrillOptions, type RunResult } from './run-drill.js';
import { readLock, releaseLock } from './run-lock.js';
import { resolveSecrets } from './secrets.js';

export type RecoverOptions = Pick<
  RunDrillOptions,
  'runners' | 'runnerSettings' | 'operator' | 'toolVersion' | 'clock' | 'signingKeyFile' | 'onEvent' | 'env'
>;

interface Leftover {
  stepId: string;
  info: ProcessInfo;
}

/** Processes whose attempt never reported an end. */
function leftovers(events: readonly JournalEvent[]): Leftover[] {
  const finished = new Set(
    events.filter((e) => e.type === journalEvents.attemptFinished).map((e) => `${String(e.data['stepId'])}#${String(e.data['attempt'])}`),
  );
  return events
    .filter((e) => e.type === journalEvents.processStarted)
    .filter((e) => !finished.has(`${String(e.data['stepId'])}#${String(e.data['attempt'])}`))
    .map((e) => {
      const { stepId, attempt: _attempt, ...info } = e.data;
      return { stepId: String(stepId), info: info as unknown as ProcessInfo };
    });
}

export async function recoverRun(bundleDir: string, scenario: Scenario, options: RecoverOptions): Promise<RunResult> {
  const journalFile = join(bundleDir, bundleFiles.journal);
  if (!existsSync(journalFile)) throw new DrillbookError('USAGE', `${bundleDir} has no ${bundleFiles.journal}: not a drillbook bundle`);
  const read = readJournal(journalFile);
  const events: JournalEvent[] = read.entries.map((e) => ({ at: e.at, type: e.type, data: e.data }));
  const started = events.find((e) => e.type === journalEvents.runStarted);
  if (!started) throw new DrillbookError('USAGE', `${journalFile} has no run.started entry`);
  if (events.some((e) => e.type === journalEvents.runFinished)) {
    throw new DrillbookError('USAGE', `run ${String(started.data['runId'])} finished normally: there is nothing to recover`);
  }
  const storeDir = dirname(dirname(bundleDir));
  const lockFile = lockFileFor(storeDir, scenario.id);
  const lock = readLock(lockFile);
  if (lock.state === 'held' && lock.info.runId === started.data['runId']) {
    throw new DrillbookError('LOCKED', `run ${lock.info.runId} is still running as pid ${lock.info.pid}`, { hint: 'stop it first' });
  }

  const secrets = resolveSecrets(scenario.secrets, scenario.source.dir, options.env);
  if (!secrets.ok) throw new DrillbookError('USAGE', 'secrets could not be resolved', { details: secrets.problems.join('\n') });
  const redactor = createRedactor(Object.values(secrets.values));
  const log = createLogger(bundleDir, redactor, { runId: started.data['runId'], scenario: scenario.id, recover: true }, true);
  const journal = reopenJournal(journalFile, 'barrier');
  const clock = options.clock ?? systemClock;
  const startWallMs = Date.parse(started.at);
  const tNow = (): number => clock.wallNow() - startWallMs;
  const append = (type: string, data: Record<string, unknown>): void => {
    const entry = journal.append(type, data, new Date(clock.wallNow()).toISOString());
    events.push({ at: entry.at, type: entry.type, data: entry.data });
    options.onEvent?.({ at: entry.at, type: entry.type, data: entry.data });
  };

  const deviations = [`the run did not finish (crash or abandoned cleanup); closed by \`drillbook recover\` run by ${options.operator}`];
  for (const { stepId, info } of leftovers(events)) {
    const definition = options.runners[info.runner];
    const runner = definition ? await definition.load(options.runnerSettings) : undefined;
    const step = leafSteps([...scenario.preconditions, ...scenario.steps, ...scenario.cleanup]).find((s) => s.id === stepId);
    const target = step?.on ? scenario.targets[step.on] : undefined;
    const stopped = runner?.stopLeftover
      ? await runner.stopLeftover(info, log, {
          ...(target ? { target } : {}),
          options: step?.with ?? {},
          baseDir: scenario.source.dir,
          secret: (name) => secrets.values[name],
        })
      : false;
    await runner?.close?.();
    append(journalEvents.processStopped, { stepId, pid: info.pid, pgid: info.pgid, host: info.host, confirmed: stopped, t: tNow() });
    if (!stopped) deviations.push(`process group ${info.pgid} of step ${stepId} on ${info.host} could not be confirmed stopped`);
  }

  const finishedSteps = new Map(
    events.filter((e) => e.type === journalEvents.stepFinished).map((e) => [String(e.data['stepId']), String(e.data['status'])]),
  );
  for (const e of events.filter((x) => x.type === journalEvents.stepStarted)) {
    const stepId = String(e.data['stepId']);
    if (!finishedSteps.has(stepId)) {
      append(journalEvents.stepFinished, { stepId, status: 'cancelled', reason: 'cancelled', message: 'the run stopped during this step', outputs: {}, t: tNow() });
      finishedSteps.set(stepId, 'cancelled');
    }
  }
  const cleanupToRun = leafSteps(scenario.cleanup)
    .filter((s) => finishedSteps.get(s.id) !== 'passed')
    .map((s) => s.id);

  const handle = startDrill(scenario, {
    runId: String(started.data['runId']),
    bundleDir,
    journal,
    scenarioFile: bundleFiles.scenario,
    runners: options.runners,
    ...(options.runnerSettings ? { runnerSettings: options.runnerSettings } : {}),
    clock,
    operator: options.operator,
    toolVersion: options.toolVersion,
    secrets: secrets.values,
    redactor,
    log,
    deviations,
    resume: { events, startWallMs, cleanupStepIds: cleanupToRun },
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
  const record = await handle.done;
  journal.close();
  log.flush();
  const seal = await sealBundle(bundleDir, record, {
    ...(options.signingKeyFile ? { signingKey: options.signingKeyFile } : {}),
    secrets: Object.values(secrets.values),
  });
  if (lock.state !== 'free' && lock.info.runId === started.data['runId']) releaseLock(lockFile, lock.info.runId);
  return { record, bundleDir, seal };
}
