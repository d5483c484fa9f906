/** The ssh runner's API for the engine and CLI: definitions, preflight, leftovers, target schema helpers. */
export { sshGetRunner, sshOptions, sshPutRunner, sshRunner, sshGetOptions, sshPutOptions } from './definition.js';
export { checkSshTargets, describeCheckFailures, type SshCheckCommand, type SshCheckOptions, type SshCheckResult, type SshHostCheck, type SshTargetCheck } from './preflight.js';
export { stopSshLeftover, type SshLeftoverOptions } from './leftover.js';
export { createSshPool, type SshPool } from './pool.js';
export { sshErrorCodes, type SshErrorCode } from './errors.js';
export type { SeenHostKey } from './fingerprint.js';
