/**
 * Secret redaction for text and byte streams. Every occurrence of every non-empty secret becomes `***`;
 * where secrets overlap, the leftmost match wins and, at one position, the longest secret.
 */
import { Transform, type TransformCallback } from 'node:stream';

export const redactionMark = '***';

export interface Redactor {
  /** `text` with every secret replaced by `***`. */
  redact(text: string): string;
  /**
   * A JSON-compatible value with every secret redacted from its strings and keys, before it is serialised
   * (so an escaped form never escapes redaction); a number whose digits hold a secret becomes `***`.
   */
  redactValue(value: unknown): unknown;
  /** Whether any secret occurs in `text`. */
  containsSecret(text: string): boolean;
  /**
   * A byte-stream transform with the same result as `redact()` over the whole stream (for UTF-8 text),
   * wherever the chunks are cut: it holds back at most (longest secret − 1) bytes until it can decide.
   */
  stream(): Transform;
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

/** One alternation, longest first, so that at one position the longest secret wins. */
function alternation(secrets: readonly string[], length: (s: string) => number): string {
  return [...secrets]
    .sort((a, b) => length(b) - length(a))
    .map(escapeRegExp)
    .join('|');
}

/**
 * A redactor for `secrets`. Empty strings are ignored. The output can only contain a secret again when
 * a secret itself contains `*` (the mark next to the surrounding text could spell it).
 */
export function createRedactor(secrets: readonly string[]): Redactor {
  const unique = [...new Set(secrets.filter((secret) => secret !== ''))];
  if (unique.length === 0) {
    return {
      redact: (text) => text,
      redactValue: (value) => value,
      containsSecret: () => false,
      stream: () => new Transform({ transform: (chunk: Buffer, _encoding, callback) => callback(null, chunk) }),
    };
  }
  const textSource = alternation(unique, (s) => s.length);
  const textPattern = new RegExp(textSource, 'g');
  const probe = new RegExp(textSource);
  // Streams are matched byte for byte: each byte is one latin1 character, secrets as their UTF-8 bytes.
  const byteSecrets = unique.map((secret) => Buffer.from(secret, 'utf8').toString('latin1'));
  const byteSource = alternation(byteSecrets, (s) => s.length);
  const maxBytes = Math.max(...byteSecrets.map((s) => s.length));

  const redact = (text: string): string => text.replace(textPattern, redactionMark);
  const redactValue = (value: unknown): unknown => {
    if (typeof value === 'string') return redact(value);
    if (typeof value === 'number') return probe.test(String(value)) ? redactionMark : value;
    if (Array.isArray(value)) return value.map(redactValue);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [redact(k), redactValue(v)]));
    }
    return value;
  };
  return {
    redact,
    redactValue,
    containsSecret: (text) => probe.test(text),
    stream: () => createRedactingStream(new RegExp(byteSource, 'g'), maxBytes),
  };
}

function createRedactingStream(pattern: RegExp, maxBytes: number): Transform {
  let held = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      const data = held.length === 0 ? chunk : Buffer.concat([held, chunk]);
      const text = data.toString('latin1');
      // A match starting before `cutoff` has every byte it could need; later positions must wait.
      const cutoff = text.length - (maxBytes - 1);
      let out = '';
      let position = 0;
      pattern.lastIndex = 0;
      for (let match = pattern.exec(text); match !== null && match.index < cutoff; match = pattern.exec(text)) {
        out += text.slice(position, match.index) + redactionMark;
        position = match.index + match[0].length;
      }
      const keepFrom = Math.max(position, cutoff);
      out += text.slice(position, keepFrom);
      held = Buffer.from(data.subarray(keepFrom));
      callback(null, out === '' ? undefined : Buffer.from(out, 'latin1'));
    },
    flush(callback: TransformCallback) {
      const text = held.toString('latin1');
      pattern.lastIndex = 0;
      const out = text.replace(pattern, redactionMark);
      held = Buffer.alloc(0);
      callback(null, out === '' ? undefined : Buffer.from(out, 'latin1'));
    },
  });
}
