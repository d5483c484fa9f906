/** The byte-stream half of the redactor: the same matches as over the whole text, wherever chunks are cut. */
import { Transform, type TransformCallback } from 'node:stream';
import type { LiteralMatcher } from './literal-matcher.js';

/**
 * A transform replacing every match of `matcher` (over latin1 text: one character per byte) with `mark`.
 * It holds back at most `matcher.longest − 1` bytes, the most a match starting there could still need.
 */
export function createRedactingStream(matcher: LiteralMatcher, mark: string): Transform {
  let held = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      const data = held.length === 0 ? chunk : Buffer.concat([held, chunk]);
      const text = data.toString('latin1');
      // A match starting before `cutoff` has every byte it could need; later positions must wait.
      const cutoff = text.length - (matcher.longest - 1);
      let out = '';
      let position = 0;
      for (let match = matcher.next(text, 0); match !== undefined && match.index < cutoff; match = matcher.next(text, position)) {
        out += text.slice(position, match.index) + mark;
        position = match.index + match.length;
      }
      const keepFrom = Math.max(position, cutoff);
      out += text.slice(position, keepFrom);
      held = Buffer.from(data.subarray(keepFrom));
      callback(null, out === '' ? undefined : Buffer.from(out, 'latin1'));
    },
    flush(callback: TransformCallback) {
      const out = replaceMatches(held.toString('latin1'), matcher, mark);
      held = Buffer.alloc(0);
      callback(null, out === '' ? undefined : Buffer.from(out, 'latin1'));
    },
  });
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
