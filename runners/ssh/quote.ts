/**
 * Quoting for the remote POSIX shell. sshd hands the command line to the login shell as one string, so
 * every argument is made a single literal word: single quotes keep every byte but `'` literal, and `'`
 * itself becomes `'\''`. NUL cannot exist in an argv; lone surrogates cannot be encoded as UTF-8.
 */
import { SshError } from './errors.js';

// Words made only of these need no quotes (keeps commands readable in logs); nothing here is special to sh.
const plainWord = /^[A-Za-z0-9_@%+=:,./-]+$/;
// With the u flag a well-formed surrogate pair is one code point, so this matches lone surrogates only.
const loneSurrogate = /\p{Cs}/u;

/** Why `arg` cannot be sent unchanged, or undefined when it can. Never quotes the value (it may be a secret). */
export function argumentProblem(arg: string): string | undefined {
  const nul = arg.indexOf('\0');
  if (nul !== -1) return `contains a NUL byte (at offset ${nul}), which no command argument can carry`;
  if (loneSurrogate.test(arg)) return 'contains a lone UTF-16 surrogate, which has no UTF-8 encoding';
  return undefined;
}

/** `arg` as one literal word of a POSIX shell command line. Throws INVALID_ARGUMENT for NUL and lone surrogates. */
export function quoteForShell(arg: string, what = 'an argument'): string {
  const problem = argumentProblem(arg);
  if (problem) throw new SshError('INVALID_ARGUMENT', `${what} ${problem}`);
  if (plainWord.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** An argument array as a command line: each element one word. */
export function quoteArgv(argv: readonly string[]): string {
  return argv.map((arg, index) => quoteForShell(arg, `argument ${index} of the command`)).join(' ');
}
