/**
 * What the ssh runners of one run share: settings, the ssh client config (read once) and the connection
 * pool. The pool itself is shared by every loaded ssh runner (ssh, ssh.put, ssh.get, ssh.dump) and closed when
 * the last of them is closed.
 */
import { type RunnerSettings, sshTargetSchema, type Target } from '../../src/runner-contract.js';
import { SshError } from './errors.js';
import { createSshPool, type SshPool } from './pool.js';
import { resolveTarget, type ResolvedTarget } from './resolve.js';
import { loadSshConfig, type LoadedSshConfig, type SshSettings } from './ssh-config.js';

let shared: { pool: SshPool; holders: number } | undefined;

function acquirePool(): SshPool {
  if (!shared || shared.pool.closed) shared = { pool: createSshPool(), holders: 0 };
  shared.holders += 1;
  return shared.pool;
}

async function releasePool(pool: SshPool): Promise<void> {
  if (!shared || shared.pool !== pool) return;
  shared.holders -= 1;
  if (shared.holders > 0) return;
  shared = undefined;
  await pool.close();
}

export function sshSettingsOf(settings: RunnerSettings | undefined): SshSettings {
  return { configFile: settings?.sshConfigFile, env: settings?.env ?? process.env };
}

export interface SshSession {
  readonly settings: SshSettings;
  /** The pool (acquired on first use). */
  pool(): SshPool;
  /** The step's target, validated and resolved host by host. Throws SSH_CONFIG. */
  target(target: Target | undefined, baseDir: string): Promise<ResolvedTarget>;
  close(): Promise<void>;
}

/** Check and resolve a target the engine passes (its `options` are the validated `targets.<name>.ssh`). */
export function resolveSshTarget(target: Target | undefined, baseDir: string, settings: SshSettings, config: LoadedSshConfig): ResolvedTarget {
  if (!target) throw new SshError('SSH_CONFIG', 'the step names no target (`on:`); ssh steps need an ssh target');
  if (target.kind !== 'ssh' || !('options' in target)) throw new SshError('SSH_CONFIG', `target ${target.name} is not an ssh target`);
  const parsed = sshTargetSchema.safeParse(target.options);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(target)'}: ${issue.message}`).join('; ');
    throw new SshError('SSH_CONFIG', `target ${target.name}: ${problems}`);
  }
  return resolveTarget(target.name, parsed.data, { baseDir, settings, config });
}

/** `ownPool`: use this pool instead of the shared one (tests, benches); the session never closes it. */
export function createSshSession(runnerSettings?: RunnerSettings, ownPool?: SshPool): SshSession {
  const settings = sshSettingsOf(runnerSettings);
  let config: Promise<LoadedSshConfig> | undefined;
  let pool: SshPool | undefined;
  return {
    settings,
    pool() {
      if (ownPool) return ownPool;
      if (!pool || pool.closed) pool = acquirePool();
      return pool;
    },
    async target(target, baseDir) {
      config ??= loadSshConfig(settings);
      let loaded: LoadedSshConfig;
      try {
        loaded = await config;
      } catch (error) {
        config = undefined;
        throw error;
      }
      return resolveSshTarget(target, baseDir, settings, loaded);
    },
    async close() {
      const held = pool;
      pool = undefined;
      if (held) await releasePool(held);
    },
  };
}
