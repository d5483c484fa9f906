/**
 * Secret redaction for text, JSON values and byte streams. Every form of every non-empty secret (see
 * secret-forms.ts: as written, JSON- and HTML-escaped, percent-encoded, base64, hex, …) becomes `***`;
 * where forms overlap, the leftmost match wins and, at one position, the longest form.
 */
import { Transform } from 'node:stream';
import { createLiteralMatcher } from './literal-matcher.js';
import { createRedactingStream, replaceMatches, type RedactingStream } from './redacting-stream.js';
import { minimumDerivedFormLength, secretForms } from './secret-forms.js';

export const redactionMark = '***';

export interface Redactor {
  /** `text` with every form of every secret replaced by `***`. */
  redact(text: string): string;
  /**
   * `value` (anything JSON.stringify accepts) with every string and every object key redacted, ready to
   * serialise: the value is redacted, not its JSON text, so the result always serialises to valid JSON.
   * Numbers are kept as they are (a record's durations and counts keep their type); the seal's scan still
   * refuses a number that is exactly a secret of digits. An object with `toJSON()` is replaced by its result, as JSON.stringify does;
   * keys that become equal once redacted keep the last value, as JSON.parse would. Throws a TypeError on a
   * circular structure.
   */
  redactJson(value: unknown): unknown;
  /** Whether any form of any secret occurs in `text`. */
  containsSecret(text: string): boolean;
  /**
   * A byte-stream transform with the same result as `redact()` over the whole stream (for UTF-8 text),
   * wherever the chunks are cut: it holds back at most (longest form in bytes − 1) bytes until it can decide.
   */
  stream(): RedactingStream;
}

/**
 * A redactor for `secrets`. Empty strings are ignored. The matchers are compiled once, here. The output can
 * only contain a secret again when a secret itself contains `*` (the mark next to the surrounding text
 * could spell it).
 */
export function createRedactor(secrets: readonly string[]): Redactor {
  const forms = [...new Set(secrets.flatMap(secretForms))];
  if (forms.length === 0) {
    return {
      redact: (text) => text,
      redactJson: (value) => value,
      containsSecret: () => false,
      stream: () => Object.assign(new Transform({ transform: (chunk: Buffer, _encoding, callback) => callback(null, chunk) }), { redactions: 0 }),
    };
  }
  // Short forms (a PIN) count only as whole tokens, in text and in bytes alike.
  const short = forms.filter((form) => form.length < minimumDerivedFormLength);
  const textMatcher = createLiteralMatcher(forms, { wholeToken: new Set(short) });
  // Streams are matched byte for byte: each byte is one latin1 character, forms as their UTF-8 bytes.
  const byteMatcher = createLiteralMatcher(
    forms.map((form) => Buffer.from(form, 'utf8').toString('latin1')),
    { wholeToken: new Set(short.map((form) => Buffer.from(form, 'utf8').toString('latin1'))) },
  );

  const redact = (text: string): string => replaceMatches(text, textMatcher, redactionMark);
  const containsSecret = (text: string): boolean => textMatcher.next(text, 0) !== undefined;
  return {
    redact,
    redactJson: createJsonRedactor(redact),
    containsSecret,
    stream: () => createRedactingStream(byteMatcher, redactionMark),
  };
}

/** The structural walk behind `redactJson()`; `ancestors` catches cycles, which JSON.stringify also refuses. */
function createJsonRedactor(redact: (text: string) => string): (value: unknown) => unknown {
  const ancestors = new Set<object>();
  const walk = (value: unknown, key: string): unknown => {
    if (typeof value === 'string') return redact(value);
    // Numbers stay numbers: a record's durations and byte counts must keep their type, and a secret of
    // digits inside a longer number is a coincidence (the seal's scan refuses one that is the whole number).
    if (typeof value === 'number') return value;
    if (typeof value === 'bigint') return value;
    if (typeof value !== 'object' || value === null) return value;
    const toJson = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJson === 'function') return walk((toJson as (key: string) => unknown).call(value, key), key);
    if (ancestors.has(value)) throw new TypeError('cannot redact a circular structure');
    ancestors.add(value);
    try {
      if (Array.isArray(value)) return value.map((item: unknown, index) => walk(item, String(index)));
      const out: Record<string, unknown> = {};
      for (const [name, item] of Object.entries(value)) {
        // defineProperty: a key `__proto__` (JSON.parse makes one) stays a key instead of setting the prototype.
        Object.defineProperty(out, redact(name), { value: walk(item, name), enumerable: true, writable: true, configurable: true });
      }
      return out;
    } finally {
      ancestors.delete(value);
    }
  };
  return (value) => walk(value, '');
}
