/**
 * The seal's search for declared secrets: every form of every secret (secret-forms.ts, the same list the
 * redactor masks) as UTF-8 bytes, compiled once, searched for in bytes.
 */
import { createLiteralMatcher, type LiteralMatcher } from '../literal-matcher.js';
import { minimumDerivedFormLength, secretForms } from '../secret-forms.js';

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
  const short = new Set<string>();
  for (const [index, secret] of secrets.entries()) {
    for (const form of secretForms(secret)) {
      const bytes = Buffer.from(form, 'utf8').toString('latin1');
      if (!owners.has(bytes)) owners.set(bytes, index);
      if (form.length < minimumDerivedFormLength) short.add(bytes);
    }
  }
  // As the redactor: a short secret counts only as a whole token (not inside a digest or a word).
  const matcher = createLiteralMatcher(owners.keys(), { wholeToken: short });
  return { longestFormBytes: matcher.longest, matcher, owners };
}

/** The earliest occurrence in `bytes` of any form of any secret of `scanner` (the longest form there). */
export function findSecret(bytes: Uint8Array, scanner: SecretScanner): SecretHit | undefined {
  if (scanner.longestFormBytes === 0) return undefined;
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  for (let match = scanner.matcher.next(text, 0); match !== undefined; match = scanner.matcher.next(text, match.index + 1)) {
    const form = text.slice(match.index, match.index + match.length);
    // A secret of digits inside a longer number (a duration, a byte count) is a coincidence, not a leak.
    if (digitsOnly.test(form) && (isDigit(text, match.index - 1) || isDigit(text, match.index + match.length))) continue;
    const index = scanner.owners.get(form);
    if (index !== undefined) return { offset: match.index, index };
  }
  return undefined;
}

const digitsOnly = /^\d+$/;
const isDigit = (text: string, at: number): boolean => at >= 0 && at < text.length && text.charCodeAt(at) >= 0x30 && text.charCodeAt(at) <= 0x39;
