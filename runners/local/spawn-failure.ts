/** A command that could not be started at all, as an observation error naming the command. */
import type { Observation } from '../../src/runner-contract.js';

type ObservedError = NonNullable<Observation['error']>;

const reasons: Readonly<Record<string, string>> = {
  ENOENT: 'not found',
  EACCES: 'permission denied (is it an executable file?)',
  ENOEXEC: 'not an executable format',
  ENOTDIR: 'a part of its path is not a folder',
  E2BIG: 'argument list too long',
};

/** `failed` is execa's result for a subprocess that never got a pid. */
export function spawnFailure(file: string, failed: { code?: unknown; cause?: unknown; shortMessage?: unknown }): ObservedError {
  const cause = failed.cause as { code?: unknown; message?: unknown } | undefined;
  const code = typeof failed.code === 'string' ? failed.code : typeof cause?.code === 'string' ? cause.code : 'SPAWN_FAILED';
  const where = file.includes('/') ? '' : ' on PATH';
  const reason = code === 'ENOENT' ? `not found${where}` : (reasons[code] ?? (typeof cause?.message === 'string' ? cause.message : String(failed.shortMessage)));
  return { code, message: `cannot run ${file}: ${reason} (${code})` };
}
