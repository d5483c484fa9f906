/**
 * How `run-due` and `schedule` start drills: the same engine call as `drillbook run`, without a terminal.
 * With an S3 store the run is made in a local work folder under the store's cross-machine run lock, and
 * its sealed bundle is uploaded before the lock is released.
 */
import { hostname } from 'node:os';
import { builtinRunners } from '../../runners/index.js';
import { executeRun, type RunningDrill } from '../engine/run.js';
import { prepareRunInputs } from '../engine/run-inputs.js';
import { DrillbookError } from '../errors.js';
import type { LockHolder } from '../register/s3/lock.js';
import type { PushOptions } from '../register/s3/push.js';
import type { S3EvidenceStore } from '../register/s3/store.js';
import type { EvidenceStore } from '../register/store.js';
import type { Scenario } from '../scenario/types.js';
import type { CliIo } from './io.js';
import { operatorName } from './operator.js';
import { toolVersion } from './version.js';

export interface LaunchFlags {
  store?: string;
  /** With an S3 store: the local folder runs are made in before upload (default `reports`). */
  work?: string;
  operator?: string;
  signKey?: string;
  /** Let `environment: production` scenarios start unattended. */
  yes?: boolean;
  retentionDays?: string;
  retentionMode?: string;
}

export type Launch = (scenario: Scenario) => RunningDrill | Promise<RunningDrill>;

/** `--retention-days N --retention-mode governance|compliance` → the upload's Object Lock retention. */
export function retentionFlags(flags: Pick<LaunchFlags, 'retentionDays' | 'retentionMode'>): PushOptions['retention'] {
  if (flags.retentionDays === undefined) {
    if (flags.retentionMode !== undefined) throw new DrillbookError('USAGE', '--retention-mode needs --retention-days');
    return undefined;
  }
  const days = Number(flags.retentionDays);
  if (!/^\d+$/.test(flags.retentionDays) || days < 1) throw new DrillbookError('USAGE', `--retention-days must be a whole number of days, got ${JSON.stringify(flags.retentionDays)}`);
  const mode = (flags.retentionMode ?? 'compliance').toUpperCase();
  if (mode !== 'GOVERNANCE' && mode !== 'COMPLIANCE') throw new DrillbookError('USAGE', `--retention-mode must be governance or compliance, got ${JSON.stringify(flags.retentionMode)}`);
  return { mode, days };
}

function isRemote(store: EvidenceStore): store is S3EvidenceStore {
  return (store as Partial<S3EvidenceStore>).kind === 's3';
}

/** A launcher for scheduled runs; warns once when runs would be sealed unsigned (they could never count as verified). */
export function createLauncher(flags: LaunchFlags, store: EvidenceStore, io: CliIo, env: NodeJS.ProcessEnv = process.env): Launch {
  const signingKeyFile = flags.signKey ?? env['DRILLBOOK_SIGNING_KEY'];
  if (!signingKeyFile) io.stderr('drillbook: no signing key (--sign-key or DRILLBOOK_SIGNING_KEY): runs will be sealed unsigned and never count as verified passes\n');
  const operator = operatorName(flags.operator, env);
  const retention = retentionFlags(flags);
  // The same pipeline as `drillbook run`: the readiness check included.
  const start = async (scenario: Scenario, storeDir: string) =>
    executeRun(scenario, await prepareRunInputs(scenario, builtinRunners, { env }), {
      mode: 'fresh',
      storeDir,
      runners: builtinRunners,
      operator,
      toolVersion: toolVersion(),
      ...(signingKeyFile ? { signingKeyFile } : {}),
      // Production scenarios only reach this point with --yes (plan-runs.ts skips them otherwise).
      confirm: () => Promise.resolve(flags.yes === true),
    });
  if (!isRemote(store)) return (scenario) => start(scenario, flags.store ?? 'reports');

  return async (scenario) => {
    const { newLockToken } = await import('../register/s3/lock.js');
    const { pushBundle } = await import('../register/s3/push.js');
    const holder: LockHolder = { scenarioId: scenario.id, token: newLockToken(), host: hostname(), pid: process.pid, startedAt: new Date().toISOString() };
    const got = await store.lock.acquire(holder);
    if (!got.ok) {
      const who = got.holder ? `${got.holder.host} (pid ${got.holder.pid}) since ${got.holder.startedAt}` : 'another machine';
      throw new DrillbookError('LOCKED', `${scenario.id} is locked in ${store.location} by ${who}`, { hint: 'wait for that run; if its machine is gone, drillbook store unlock after checking' });
    }
    let running: RunningDrill;
    try {
      running = await start(scenario, flags.work ?? 'reports');
    } catch (error) {
      await store.lock.release(scenario.id, holder.token);
      throw error;
    }
    const done = (async () => {
      try {
        const result = await running.done;
        if (result.seal.sealed) {
          try {
            await pushBundle(store, result.bundleDir, { ...(retention && { retention }) });
          } catch (error) {
            throw new DrillbookError('EVIDENCE', `run ${running.runId} was sealed in ${result.bundleDir} but not uploaded to ${store.location}: ${(error as Error).message}`, {
              cause: error,
              hint: `drillbook store push ${result.bundleDir} --store ${store.location}`,
            });
          }
        }
        return result;
      } finally {
        await store.lock.release(scenario.id, holder.token).catch(() => undefined);
      }
    })();
    return { ...running, done, interrupt: (signal) => running.interrupt(signal), abandon: () => running.abandon() };
  };
}
