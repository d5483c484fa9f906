/**
 * Stopping a remote command a crashed run left behind, from the ProcessInfo it journalled (`recover`).
 * ProcessInfo names the host only, so the caller passes the step's target. The pid, group and session
 * count only while the pid still has the journalled start time (a reused pid is never touched); the
 * processes carrying the journalled run token (setsid children included) count in any case.
 */
import type { Logger } from 'pino';
import type { ProcessInfo, RunnerSettings, Target } from '../../src/runner-contract.js';
import type { SecretLookup } from './auth.js';
import { stopRemoteProcesses } from './kill.js';
import { createSshPool } from './pool.js';
import { resolveSshTarget, sshSettingsOf } from './session.js';
import { loadSshConfig } from './ssh-config.js';

export interface SshLeftoverOptions {
  baseDir: string;
  settings?: RunnerSettings;
  secret?: SecretLookup;
  /** Whether the step ran with `sudo: true` (the group then belongs to root). */
  sudo?: boolean;
  graceMs?: number;
  log: Logger;
}

/** True when every process found as the step's is confirmed gone (none found counts: they are gone). */
export async function stopSshLeftover(target: Target, info: ProcessInfo, options: SshLeftoverOptions): Promise<boolean> {
  const settings = sshSettingsOf(options.settings);
  const resolved = resolveSshTarget(target, options.baseDir, settings, await loadSshConfig(settings));
  const host = resolved.hosts.find((candidate) => candidate.label === info.host);
  if (!host) {
    options.log.error({ host: info.host, target: target.name }, 'leftover host is not part of the target');
    return false;
  }
  const pool = createSshPool();
  try {
    const stop = await stopRemoteProcesses({
      pool,
      host,
      process: { pid: info.pid, pgid: info.pgid, sid: info.sid, startTime: info.startTime, runToken: info.runToken, cgroup: info.cgroup },
      sudo: options.sudo ?? false,
      graceMs: options.graceMs ?? 5_000,
      secret: options.secret,
    });
    options.log[stop.allGone ? 'info' : 'error']({ host: info.host, pid: info.pid, pgid: info.pgid, ...stop }, 'remote leftover stop');
    return stop.allGone;
  } finally {
    await pool.close();
  }
}
