/**
 * The readiness check (`drillbook check`, and before the first step of a run): connect to every host of
 * every ssh target, verify its host key and authentication, and check that the commands the scenario
 * will call exist there (`command -v`, under `sudo -n` for sudo steps). Nothing else is run.
 */
import type { RunnerSettings, Target } from '../../src/runner-contract.js';
import type { SecretLookup } from './auth.js';
import { runScript } from './channel.js';
import { addressOf } from './connect.js';
import { isSshError, toObservationError, type SshErrorCode } from './errors.js';
import { formatRule, mapLimited, neededToPass } from './fanout.js';
import type { SeenHostKey } from './fingerprint.js';
import { createSshPool, type Lease, type SshPool } from './pool.js';
import { quoteForShell } from './quote.js';
import type { ResolvedHost, ResolvedTarget } from './resolve.js';
import { describeRoute } from './route.js';
import { resolveSshTarget, sshSettingsOf } from './session.js';
import { loadSshConfig } from './ssh-config.js';

export interface SshCheckCommand {
  command: string;
  /** The step runs it with `sudo: true`: check `sudo -n` works and finds it. */
  sudo?: boolean;
}

export interface SshCheckOptions {
  /** Folder of the scenario file (relative key and known_hosts paths). */
  baseDir: string;
  settings?: RunnerSettings;
  secret?: SecretLookup;
  signal?: AbortSignal;
  /** Hosts checked at once (default 20). */
  concurrency?: number;
  /** Use (and leave open) this pool, e.g. to keep the connections for the run; default: a private one, closed at the end. */
  pool?: SshPool;
}

/** Where a host failed: its target's settings, the network, its host key, authentication, or the commands. */
export type SshCheckStage = 'config' | 'connect' | 'host-key' | 'auth' | 'commands';

export interface SshHostCheck {
  target: string;
  host: string;
  address?: string;
  /** How the host is reached: `direct to …`, a bastion chain `a (…) → b (…)`, or the ProxyCommand line as it runs. */
  route?: string;
  ok: boolean;
  stage?: SshCheckStage;
  error?: { code: string; message: string };
  hostKey: SeenHostKey[];
  /** Commands not found on the host. */
  missing: string[];
  durationMs: number;
}

export interface SshTargetCheck {
  target: string;
  /** For a group: its success rule holds over the hosts that passed. */
  ok: boolean;
  rule?: string;
  hosts: SshHostCheck[];
}

export interface SshCheckResult {
  ok: boolean;
  targets: SshTargetCheck[];
}

const commandCheckMs = 10_000;
const sudoMark = 'drillbook-sudo-ok';

function stageOf(code: string): SshCheckStage {
  const byCode: Partial<Record<SshErrorCode, SshCheckStage>> = {
    SSH_CONFIG: 'config',
    HOST_KEY_MISMATCH: 'host-key',
    HOST_KEY_UNKNOWN: 'host-key',
    HOST_KEY_REVOKED: 'host-key',
    AUTH_FAILED: 'auth',
  };
  return byCode[code as SshErrorCode] ?? 'connect';
}

/** The script that prints every command of `commands` that is not found. */
export function missingCommandsScript(commands: readonly string[]): string {
  return `for c in ${commands.map((c) => quoteForShell(c)).join(' ')}; do command -v "$c" >/dev/null 2>&1 || printf '%s\\n' "$c"; done`;
}

async function checkCommands(lease: Lease, commands: readonly SshCheckCommand[]): Promise<{ missing: string[]; error?: { code: string; message: string } }> {
  const missing: string[] = [];
  for (const sudo of [false, true]) {
    const names = [...new Set(commands.filter((c) => (c.sudo ?? false) === sudo).map((c) => c.command))];
    if (names.length === 0) continue;
    const script = missingCommandsScript(names);
    const line = sudo ? `exec sudo -n -- /bin/sh -c ${quoteForShell(`${script}; echo ${sudoMark}`)}` : `exec /bin/sh -c ${quoteForShell(script)}`;
    const result = await runScript(lease, line, { timeoutMs: commandCheckMs });
    if (sudo && !result.stdout.includes(sudoMark)) {
      const why = result.stderr.trim().split('\n')[0] || `exit code ${String(result.exitCode)}`;
      return { missing, error: { code: 'SUDO_REFUSED', message: `sudo -n does not work for ${lease.host.user} on ${lease.host.label}: ${why}` } };
    }
    missing.push(...result.stdout.split('\n').filter((name) => name !== '' && name !== sudoMark).map((name) => (sudo ? `${name} (sudo)` : name)));
  }
  return { missing };
}

async function checkHost(pool: SshPool, target: string, host: ResolvedHost, commands: readonly SshCheckCommand[], options: SshCheckOptions): Promise<SshHostCheck> {
  const startedAt = performance.now();
  const base = { target, host: host.label, address: addressOf(host), route: describeRoute(host) };
  const took = (): number => Math.round(performance.now() - startedAt);
  let lease: Lease;
  try {
    lease = await pool.lease(host, { secret: options.secret, signal: options.signal });
  } catch (error) {
    const failure = toObservationError(error);
    return { ...base, ok: false, stage: stageOf(failure.code), error: failure, hostKey: isSshError(error) ? error.hostKeys : [], missing: [], durationMs: took() };
  }
  try {
    const { missing, error } = await checkCommands(lease, commands);
    const failure = error ?? (missing.length > 0 ? { code: 'COMMAND_NOT_FOUND', message: `not found on ${host.label}: ${missing.join(', ')}` } : undefined);
    return { ...base, ok: !failure, ...(failure ? { stage: 'commands' as const, error: failure } : {}), hostKey: lease.hostKeys, missing, durationMs: took() };
  } catch (error) {
    const failure = toObservationError(error, 'CHANNEL_FAILED');
    return { ...base, ok: false, stage: 'commands', error: failure, hostKey: lease.hostKeys, missing: [], durationMs: took() };
  } finally {
    lease.release();
  }
}

/**
 * Check every ssh target of `targets` (other kinds are ignored). `commandsByTarget` lists, per target
 * name, the commands its steps call (`run[0]`). Never throws for a host problem: see each `SshHostCheck`.
 */
export async function checkSshTargets(
  targets: Readonly<Record<string, Target>>,
  commandsByTarget: Readonly<Record<string, readonly (string | SshCheckCommand)[]>>,
  options: SshCheckOptions,
): Promise<SshCheckResult> {
  const settings = sshSettingsOf(options.settings);
  const pool = options.pool ?? createSshPool();
  try {
    let config;
    try {
      config = await loadSshConfig(settings);
    } catch (error) {
      const failure = toObservationError(error, 'SSH_CONFIG');
      const checks = Object.values(targets)
        .filter((t) => t.kind === 'ssh')
        .map((t) => ({ target: t.name, ok: false, hosts: [{ target: t.name, host: t.name, ok: false, stage: 'config' as const, error: failure, hostKey: [], missing: [], durationMs: 0 }] }));
      return { ok: false, targets: checks };
    }
    const planned: { target: string; resolved?: ResolvedTarget; failure?: { code: string; message: string } }[] = [];
    for (const target of Object.values(targets)) {
      if (target.kind !== 'ssh') continue;
      try {
        planned.push({ target: target.name, resolved: resolveSshTarget(target, options.baseDir, settings, config) });
      } catch (error) {
        planned.push({ target: target.name, failure: toObservationError(error, 'SSH_CONFIG') });
      }
    }
    const jobs = planned.flatMap(({ target, resolved }) => (resolved ? resolved.hosts.map((host) => ({ target, host })) : []));
    const commandsOf = (target: string): SshCheckCommand[] => (commandsByTarget[target] ?? []).map((c) => (typeof c === 'string' ? { command: c } : c));
    const checked = await mapLimited(jobs, options.concurrency ?? 20, ({ target, host }) => checkHost(pool, target, host, commandsOf(target), options));

    const results = planned.map(({ target, resolved, failure }): SshTargetCheck => {
      if (!resolved) {
        const error = failure ?? { code: 'SSH_CONFIG', message: `target ${target} could not be resolved` };
        return { target, ok: false, hosts: [{ target, host: target, ok: false, stage: 'config', error, hostKey: [], missing: [], durationMs: 0 }] };
      }
      const hosts = checked.filter((check) => check.target === target);
      const passed = hosts.filter((check) => check.ok).length;
      return {
        target,
        ok: passed >= neededToPass(resolved.rule, hosts.length),
        ...(resolved.group ? { rule: formatRule(resolved.rule) } : {}),
        hosts,
      };
    });
    return { ok: results.every((result) => result.ok), targets: results };
  } finally {
    if (!options.pool) await pool.close();
  }
}

/** One line per failing host, for a CLI message: `target/host: stage: message`. */
export function describeCheckFailures(result: SshCheckResult): string[] {
  return result.targets.flatMap((target) =>
    target.hosts.filter((host) => !host.ok).map((host) => `${target.target}/${host.host}: ${host.stage ?? 'connect'}: ${host.error?.message ?? 'failed'}`),
  );
}
