/**
 * The seal's search for declared secrets: every form of every secret (secret-forms.ts, the same list the
 * redactor masks) as UTF-8 bytes, compiled once, searched for in bytes.
 */
import { createLiteralMatcher, type LiteralMatcher } from '../literal-matcher.js';
import { secretForms } from '../secret-forms.js';

/** Where a secret was found: byte offset, and index into the list of secrets searched for. */
export interface SecretHit {
  offset: number;
  index: number;
}

/** The compiled search; build one with `createSecretScanner()`. */
export interface SecretScanner {
  /** Bytes of the longest form: a read boundary can cut at most this many − 1 bytes off a match. */
  readonly longestFormBytes: number;
  /** Forms as latin1 text (one character per byte). */
  readonly matcher: LiteralMatcher;
  /** Each form's secret: the lowest index of the secrets that have it. */
  readonly owners: ReadonlyMap<string, number>;
}

/**
 * A scanner for `secrets`. Empty values find nothing but keep their place, so that a hit's `index` is the
 * position in `secrets`.
 */
export function createSecretScanner(secrets: readonly string[]): SecretScanner {
  const owners = new Map<string, number>();
  for (const [index, secret] of secrets.entries()) {
    for (const form of secretForms(secret)) {
      const bytes = Buffer.from(form, 'utf8').toString('latin1');
      if (!owners.has(bytes)) owners.set(bytes, index);
    }
  }
  const matcher = createLiteralMatcher(owners.keys());
  return { longestFormBytes: matcher.longest, matcher, owners };
}

/** The earliest occurrence in `bytes` of any form of any secret of `scanner` (the longest form there). */
export function findSecret(bytes: Uint8Array, scanner: SecretScanner): SecretHit | undefined {
  if (scanner.longestFormBytes === 0) return undefined;
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const match = scanner.matcher.next(text, 0);
  if (match === undefined) return undefined;
  const index = scanner.owners.get(text.slice(match.index, match.index + match.length));
  return index === undefined ? undefined : { offset: match.index, index };
}
