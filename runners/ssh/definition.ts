import { z } from 'zod';
import { durationOption, type RunnerDefinition } from '../../src/runner-contract.js';
import { preflightSshSteps } from './readiness.js';
import { sshHostKeyFacts } from './host-key-facts.js';
import { sshResolutionFiles } from './resolution-files.js';

/** `with` of `uses: ssh`. The command itself is the step's `run` (an argument array). */
export const sshOptions = z.strictObject({
  /** Run as root through `sudo -n` (never prompts: a password requirement fails the step at once). */
  sudo: z.boolean().optional(),
  /** Remote working folder (relative to the login user's home). */
  cwd: z.string().min(1).optional(),
  /** Extra environment variables, exported before the command (no reliance on sshd's AcceptEnv). */
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'expected a shell variable name' }), z.string()).optional(),
  /** Text written to the command's standard input (default: none, stdin is closed). */
  input: z.string().optional(),
  /** Time between TERM and KILL of the remote process group when the step is stopped (default 5s). */
  killGrace: durationOption.optional(),
});

/** `with` of `uses: ssh.put`: one local file to a remote path, over SFTP. */
export const sshPutOptions = z.strictObject({
  /** Local file, relative to the scenario's folder. */
  local: z.string().min(1),
  /** Remote path; written to a temporary name beside it, then renamed into place. */
  remote: z.string().min(1),
  /** Permissions of the remote file as octal text, e.g. "0644" (default 0644). */
  mode: z.string().regex(/^0?[0-7]{3}$/, { message: 'expected octal permissions such as 0644' }).optional(),
});

/** `with` of `uses: ssh.get`: one remote file to a local path, over SFTP. */
export const sshGetOptions = z.strictObject({
  remote: z.string().min(1),
  /** Local file, relative to the scenario's folder; on a group it must contain `{host}`. */
  local: z.string().min(1),
});

/** `with` of `uses: ssh.dump`: the command's standard output becomes a local file of the export. */
export const sshDumpOptions = z.strictObject({
  /** Local file, relative to the scenario's folder; written under a temporary name, renamed when the command exits 0. */
  file: z.string().min(1),
  /** Replace an existing file (default false: an existing file fails the step before the command runs). */
  overwrite: z.boolean().optional(),
  sudo: sshOptions.shape.sudo,
  cwd: sshOptions.shape.cwd,
  env: sshOptions.shape.env,
  killGrace: sshOptions.shape.killGrace,
});

export type SshOptions = z.output<typeof sshOptions>;
export type SshPutOptions = z.output<typeof sshPutOptions>;
export type SshGetOptions = z.output<typeof sshGetOptions>;
export type SshDumpOptions = z.output<typeof sshDumpOptions>;

// The runners' factories take a connection pool besides the settings (tests share one), so each wraps
// itself with withParsedOptions instead of going through defineRunner.
export const sshRunner: RunnerDefinition = {
  name: 'ssh',
  checks: true,
  summary: 'run an argument array on an ssh target (each argument quoted; one host or a group)',
  options: sshOptions,
  run: 'required',
  targetKinds: ['ssh'],
  preflight: preflightSshSteps,
  targetFacts: sshHostKeyFacts,
  resolutionFiles: sshResolutionFiles,
  expects: ['exitCode', 'stdout', 'stderr'],
  load: async (settings) => (await import('./run.js')).createSshRunner(settings),
};

export const sshPutRunner: RunnerDefinition = {
  name: 'ssh.put',
  summary: 'copy a local file to an ssh target over SFTP (SHA-256 of what was sent)',
  options: sshPutOptions,
  run: 'forbidden',
  targetKinds: ['ssh'],
  preflight: preflightSshSteps,
  targetFacts: sshHostKeyFacts,
  resolutionFiles: sshResolutionFiles,
  expects: ['stdout'],
  load: async (settings) => (await import('./transfer.js')).createSshPutRunner(settings),
};

export const sshGetRunner: RunnerDefinition = {
  name: 'ssh.get',
  summary: 'copy a file from an ssh target over SFTP (SHA-256 of what was received)',
  options: sshGetOptions,
  run: 'forbidden',
  targetKinds: ['ssh'],
  preflight: preflightSshSteps,
  targetFacts: sshHostKeyFacts,
  resolutionFiles: sshResolutionFiles,
  expects: ['stdout'],
  load: async (settings) => (await import('./transfer.js')).createSshGetRunner(settings),
};

export const sshDumpRunner: RunnerDefinition = {
  name: 'ssh.dump',
  role: 'export',
  summary: "stream a command's standard output (pg_dump …) from an ssh target into a local file: SHA-256 and format in the same pass",
  options: sshDumpOptions,
  run: 'required',
  targetKinds: ['ssh'],
  preflight: preflightSshSteps,
  targetFacts: sshHostKeyFacts,
  resolutionFiles: sshResolutionFiles,
  expects: ['exitCode', 'stderr'],
  load: async (settings) => (await import('./dump.js')).createSshDumpRunner(settings),
};
