/** Failures of the ssh runner, each with a code the record keeps (`observation.error.code`). */
import type { SeenHostKey } from './fingerprint.js';

export const sshErrorCodes = [
  /** Bad target, options, ssh config or argument (nothing was sent). */
  'SSH_CONFIG',
  /** An argument cannot travel to the remote shell unchanged (NUL byte, lone surrogate). */
  'INVALID_ARGUMENT',
  /** DNS, refused, unreachable, or a jump host that would not forward. */
  'CONNECT_FAILED',
  /** No SSH handshake within the connect timeout. */
  'CONNECT_TIMEOUT',
  /** The host presented a key that no pin or known_hosts entry for it matches. */
  'HOST_KEY_MISMATCH',
  /** Nothing pins or lists a key for this host. */
  'HOST_KEY_UNKNOWN',
  /** The key is marked @revoked in a known_hosts file. */
  'HOST_KEY_REVOKED',
  'AUTH_FAILED',
  /** An established connection went away (keepalive timeout, reset, link down) while in use. */
  'CONNECTION_LOST',
  /** The server refused a new channel (MaxSessions) or did not answer in time. */
  'CHANNEL_FAILED',
  /** A stopped command's process group could not be confirmed gone. */
  'STOP_UNCONFIRMED',
  'SFTP_FAILED',
  /** A group step whose success rule was not met. */
  'GROUP_RULE',
  /** The step was stopped before the command could start. */
  'CANCELLED',
  /** The pool was closed (end of run) while a connection was wanted. */
  'POOL_CLOSED',
] as const;
export type SshErrorCode = (typeof sshErrorCodes)[number];

export class SshError extends Error {
  readonly code: SshErrorCode;
  /** The host as the scenario names it (alias or address), when the failure concerns one host. */
  readonly host: string | undefined;
  /** Host keys seen before the failure (a refused key included), for the record. */
  hostKeys: SeenHostKey[] = [];

  constructor(code: SshErrorCode, message: string, options: { host?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SshError';
    this.code = code;
    this.host = options.host;
  }
}

export function isSshError(value: unknown): value is SshError {
  return value instanceof SshError;
}

/** Any thrown value as the `{ code, message }` an observation carries. */
export function toObservationError(error: unknown, fallbackCode: SshErrorCode = 'CONNECT_FAILED'): { code: string; message: string } {
  if (isSshError(error)) return { code: error.code, message: error.message };
  return { code: fallbackCode, message: error instanceof Error ? error.message : String(error) };
}
