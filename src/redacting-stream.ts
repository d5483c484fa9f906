/** The byte-stream half of the redactor: the same matches as over the whole text, wherever chunks are cut. */
import { Transform, type TransformCallback } from 'node:stream';
import type { LiteralMatcher } from './literal-matcher.js';

/**
 * A transform replacing every match of `matcher` (over latin1 text: one character per byte) with `mark`.
 * It holds back at most `matcher.longest − 1` bytes, the most a match starting there could still need.
 */
/** A redacting transform that also says how many matches it replaced. */
export type RedactingStream = Transform & { readonly redactions: number };

export function createRedactingStream(matcher: LiteralMatcher, mark: string): RedactingStream {
  let held = Buffer.alloc(0);
  // The two bytes before what is held, already passed on: a short secret needs to see what stands before it.
  let before = '';
  let redactions = 0;
  const run = (data: Buffer, final: boolean): string => {
    const text = before + data.toString('latin1');
    const start = before.length;
    // A match starting before `cutoff` has every byte it could need; later positions must wait.
    const cutoff = final ? text.length : text.length - (matcher.longest - 1);
    let out = '';
    let position = start;
    for (let match = matcher.next(text, start); match !== undefined && match.index < cutoff; match = matcher.next(text, position)) {
      out += text.slice(position, match.index) + mark;
      position = match.index + match.length;
      redactions += 1;
    }
    const keepFrom = Math.max(position, cutoff);
    out += text.slice(position, keepFrom);
    held = Buffer.from(text.slice(keepFrom), 'latin1');
    before = text.slice(Math.max(0, keepFrom - 2), keepFrom);
    return out;
  };
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      const out = run(held.length === 0 ? chunk : Buffer.concat([held, chunk]), false);
      callback(null, out === '' ? undefined : Buffer.from(out, 'latin1'));
    },
    flush(callback: TransformCallback) {
      const out = run(held, true);
      held = Buffer.alloc(0);
      callback(null, out === '' ? undefined : Buffer.from(out, 'latin1'));
    },
  });
  Object.defineProperty(stream, 'redactions', { get: () => redactions });
  return stream as RedactingStream;
}

/** `text` with every match of `matcher` replaced by `mark`, scanning on after each match. */
export function replaceMatches(text: string, matcher: LiteralMatcher, mark: string): string {
  let out = '';
  let position = 0;
  for (let match = matcher.next(text, 0); match !== undefined; match = matcher.next(text, position)) {
    out += text.slice(position, match.index) + mark;
    position = match.index + match.length;
  }
  return position === 0 ? text : out + text.slice(position);
}
