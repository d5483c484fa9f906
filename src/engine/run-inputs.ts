/**
 * A run's inputs as one value: var overrides, secret values, how targets are resolved. Journalled once at
 * start (secrets and redacted vars only as salted scrypt digests) and rebuilt from the journal by recover,
 * so a crashed run is always finished with the inputs it started with.
 */
import { randomBytes, scryptSync, timingSafeEqual, createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { DrillbookError } from '../errors.js';
import type { RunInputsRecord, SecretDigest } from '../evidence/journal-events.js';
import type { Redactor } from '../redact.js';
import type { RunnerCatalog, RunnerSettings } from '../runner-contract.js';
import type { Scenario } from '../scenario/types.js';
import { allSteps } from '../scenario/types.js';
import { loadApprovers, type LoadedApprovers } from './approver-keys.js';
import { resolveSecrets } from './secrets.js';

export interface RunInputs {
  /** `--var` overrides as given (already applied to `scenario.vars` by validation). */
  varOverrides: Readonly<Record<string, string>>;
  /** Files that decide where steps go (from the runners), with their SHA-256; see `fingerprintResolution`. */
  resolution?: Readonly<Record<string, string>>;
  /** Declared secret values, by name. In memory only. */
  secrets: Readonly<Record<string, string>>;
  /** What the runners read: the ssh client config, the environment. */
  runnerSettings: RunnerSettings;
  /** The approver keys `approval:` names, loaded and checked before anything runs. */
  approvers?: LoadedApprovers;
}

// scrypt costs ~40 ms a secret: cheap for a run, expensive for anyone guessing a weak secret from a bundle.
const scryptParams = { N: 16_384, r: 8, p: 1 } as const;

export function digestSecret(value: string, salt = randomBytes(16)): SecretDigest {
  const hash = scryptSync(value, salt, 32, { ...scryptParams, maxmem: 64 * 1024 * 1024 });
  return { alg: 'scrypt', ...scryptParams, salt: salt.toString('base64'), hash: hash.toString('base64') };
}

export function matchesDigest(value: string, digest: SecretDigest): boolean {
  const expected = Buffer.from(digest.hash, 'base64');
  const actual = scryptSync(value, Buffer.from(digest.salt, 'base64'), expected.length, { N: digest.N, r: digest.r, p: digest.p, maxmem: 256 * 1024 * 1024 });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** The OpenSSH client config a run reads: the named file, ~/.ssh/config when it exists, or none. */
export function resolveSshConfigFile(setting: string | false | undefined, env: NodeJS.ProcessEnv): string | false {
  if (setting === false) return false;
  if (setting !== undefined) return resolve(setting);
  const file = join(env['HOME'] ?? homedir(), '.ssh', 'config');
  return existsSync(file) ? file : false;
}

function fileSha256(file: string): string | undefined {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex');
  } catch {
    return undefined;
  }
}

/** Shorter secrets cannot be told apart from the rest of the evidence (a 1 in `"seq":1`, a year in a time). */
export const minimumSecretLength = 4;

function assertRedactable(values: Readonly<Record<string, string>>): void {
  const short = Object.entries(values).filter(([, value]) => [...value].length < minimumSecretLength);
  if (short.length === 0) return;
  throw new DrillbookError('USAGE', `secret ${short.map(([name]) => name).join(', ')} is shorter than ${minimumSecretLength} characters: it cannot be redacted without also hiding counts, times and digests`, {
    hint: 'use a longer secret; secrets of 4 to 7 characters are redacted where they stand alone (not inside words or numbers)',
  });
}

export interface PrepareInputsOptions {
  varOverrides?: Readonly<Record<string, string>>;
  /** `--ssh-config`: a file, or false for none; default ~/.ssh/config when it exists. */
  sshConfigFile?: string | false;
  env?: NodeJS.ProcessEnv;
}

/** The inputs of a new run: secrets resolved (every problem at once), target resolution fixed. */
export function prepareInputs(scenario: Scenario, options: PrepareInputsOptions = {}): RunInputs {
  const env = options.env ?? process.env;
  const secrets = resolveSecrets(scenario.secrets, scenario.source.dir, env);
  if (!secrets.ok) throw new DrillbookError('USAGE', 'secrets could not be resolved', { details: secrets.problems.join('\n') });
  assertRedactable(secrets.values);
  return {
    varOverrides: { ...(options.varOverrides ?? {}) },
    secrets: secrets.values,
    runnerSettings: { sshConfigFile: resolveSshConfigFile(options.sshConfigFile, env), env },
    ...(typeof scenario.approval === 'object' ? { approvers: loadApprovers(scenario.approval, scenario.approval.quorum, scenario.source.dir, 'approval') } : {}),
  };
}

/** The files the scenario's runners say decide where its steps go, each with its SHA-256 now. */
export async function fingerprintResolution(scenario: Scenario, catalog: RunnerCatalog, settings: RunnerSettings): Promise<Record<string, string>> {
  const sources = new Set(allSteps(scenario).flatMap((step) => (catalog[step.uses]?.resolutionFiles ? [catalog[step.uses]?.resolutionFiles] : [])));
  const files = (await Promise.all([...sources].map((list) => list?.(settings) ?? Promise.resolve([])))).flat();
  return Object.fromEntries([...new Set(files)].sort().map((file) => [file, fileSha256(file) ?? 'unreadable']));
}

/** The new run's inputs with the resolution files fingerprinted: what `run` and scheduled runs start from. */
export async function prepareRunInputs(scenario: Scenario, catalog: RunnerCatalog, options: PrepareInputsOptions = {}): Promise<RunInputs> {
  const inputs = prepareInputs(scenario, options);
  return { ...inputs, resolution: await fingerprintResolution(scenario, catalog, inputs.runnerSettings) };
}

/** Variables of drillbook's environment the steps get besides the fixed base that decides what they reach. */
function inheritedNames(scenario: Scenario): string[] {
  return [...new Set(['PATH', ...(scenario.inheritEnv ?? []), ...allSteps(scenario).flatMap((s) => s.inheritEnv ?? [])])].sort();
}

function environmentDigest(name: string, value: string | undefined, salt: string): string {
  return value === undefined ? 'unset' : createHash('sha256').update(`${salt}\0${name}\0${value}`).digest('hex');
}

/** What run.started records of the inputs: nothing secret, enough to rebuild and check them. */
export function recordInputs(scenario: Scenario, inputs: RunInputs, redactor: Redactor, storeDir: string): RunInputsRecord {
  const varOverrides: Record<string, string> = {};
  const redactedVars: Record<string, SecretDigest> = {};
  for (const [name, value] of Object.entries(inputs.varOverrides)) {
    const shown = redactor.redact(value);
    varOverrides[name] = shown;
    if (shown !== value) redactedVars[name] = digestSecret(value);
  }
  const secrets: RunInputsRecord['secrets'] = {};
  for (const [name, source] of Object.entries(scenario.secrets)) {
    const value = inputs.secrets[name];
    if (value !== undefined) secrets[name] = { source, digest: digestSecret(value) };
  }
  const file = inputs.runnerSettings.sshConfigFile ?? false;
  const sha256 = file === false ? undefined : fileSha256(file);
  const env = inputs.runnerSettings.env ?? process.env;
  const salt = randomBytes(16).toString('hex');
  const environment = { salt, values: Object.fromEntries(inheritedNames(scenario).map((name) => [name, environmentDigest(name, env[name], salt)])) };
  return {
    scenarioDir: scenario.source.dir,
    storeDir,
    varOverrides,
    redactedVars,
    secrets,
    sshConfig: { file, ...(sha256 ? { sha256 } : {}) },
    ...(inputs.resolution ? { resolution: { ...inputs.resolution } } : {}),
    environment,
  };
}

/**
 * What recover must refuse beyond secrets: a file that decides where steps go that changed (an included ssh
 * config now sending `db` to another host), or a variable the steps inherit that changed (PATH, KUBECONFIG).
 */
export async function resolutionChanges(scenario: Scenario, catalog: RunnerCatalog, record: RunInputsRecord, inputs: RunInputs): Promise<string[]> {
  const problems: string[] = [];
  const now = await fingerprintResolution(scenario, catalog, inputs.runnerSettings);
  for (const [file, sha256] of Object.entries(record.resolution ?? {})) {
    if (now[file] === undefined) problems.push(`${file}: it decided where steps went when the run started, and is not read now`);
    else if (now[file] !== sha256) problems.push(`${file}: it changed since the run started, so targets may resolve to other hosts`);
  }
  for (const file of Object.keys(now)) if (record.resolution && !(file in record.resolution)) problems.push(`${file}: read now, but not when the run started`);
  const env = inputs.runnerSettings.env ?? process.env;
  for (const [name, digest] of Object.entries(record.environment?.values ?? {})) {
    if (environmentDigest(name, env[name], record.environment?.salt ?? '') !== digest) problems.push(`environment variable ${name}: it is not what it was when the run started`);
  }
  return problems;
}

export interface RebuildOptions {
  env?: NodeJS.ProcessEnv;
  /** Read this copy of the run's ssh client config instead (it must hold the same text). */
  sshConfigFile?: string;
}

/**
 * The var overrides a recovered run must use: the journalled ones, with the redacted ones given again by the
 * operator and checked against their digests. Throws USAGE naming what is missing or different.
 */
export function rebuildVarOverrides(record: RunInputsRecord, given: Readonly<Record<string, string>> = {}): Record<string, string> {
  const vars: Record<string, string> = { ...record.varOverrides };
  const problems: string[] = [];
  for (const name of Object.keys(given)) {
    if (!(name in record.redactedVars)) problems.push(`--var ${name}: the run's value of ${name} is in its journal; it cannot be changed now`);
  }
  for (const [name, digest] of Object.entries(record.redactedVars)) {
    const value = given[name];
    if (value === undefined) problems.push(`var ${name}: its value held a secret and was journalled redacted; give it again with --var ${name}=…`);
    else if (!matchesDigest(value, digest)) problems.push(`var ${name}: the value given is not the one the run used`);
    else vars[name] = value;
  }
  if (problems.length) throw new DrillbookError('USAGE', 'the run cannot be continued with its own inputs', { details: problems.map((p) => `  ${p}`).join('\n') });
  return vars;
}

/**
 * The inputs of a run being recovered, from its journal: secrets re-resolved from the same references and
 * checked against their digests, the same ssh client config (checked against its digest).
 */
export function rebuildInputs(scenario: Scenario, record: RunInputsRecord, varOverrides: Record<string, string>, options: RebuildOptions = {}): RunInputs {
  const env = options.env ?? process.env;
  const problems: string[] = [];
  const declared = Object.keys(scenario.secrets);
  const journalled = Object.keys(record.secrets);
  for (const name of declared) if (!journalled.includes(name)) problems.push(`secret ${name}: the journal has no digest of it`);
  const resolved = resolveSecrets(scenario.secrets, record.scenarioDir, env);
  if (!resolved.ok) problems.push(...resolved.problems.map((p) => `${p} (it resolved when the run started)`));
  const secrets = resolved.ok ? resolved.values : {};
  for (const [name, { source, digest }] of Object.entries(record.secrets)) {
    const now = scenario.secrets[name];
    if (!now || JSON.stringify(now) !== JSON.stringify(source)) {
      problems.push(`secret ${name}: the scenario no longer takes it from ${JSON.stringify(source)}`);
      continue;
    }
    const value = secrets[name];
    if (value !== undefined && !matchesDigest(value, digest)) {
      problems.push(`secret ${name}: ${'env' in source ? `$${source.env}` : source.file} now holds a different value than when the run started`);
    }
  }
  const sshConfigFile = options.sshConfigFile !== undefined ? resolve(options.sshConfigFile) : record.sshConfig.file;
  if (options.sshConfigFile !== undefined && record.sshConfig.file === false) {
    problems.push(`--ssh-config ${options.sshConfigFile}: the run read no ssh client config`);
  } else if (sshConfigFile !== false) {
    const sha256 = fileSha256(sshConfigFile);
    if (sha256 === undefined) problems.push(`ssh client config ${sshConfigFile}: it was read when the run started and cannot be read now`);
    else if (record.sshConfig.sha256 !== undefined && sha256 !== record.sshConfig.sha256) {
      problems.push(`ssh client config ${sshConfigFile}: it changed since the run started, so targets may resolve to other hosts`);
    }
  }
  if (problems.length) {
    throw new DrillbookError('PRECONDITION', 'the run cannot be recovered with its own inputs', {
      details: problems.map((p) => `  ${p}`).join('\n'),
      hint: 'restore the secrets and files the run used (nothing was run)',
    });
  }
  return { varOverrides, secrets, runnerSettings: { sshConfigFile, env } };
}
