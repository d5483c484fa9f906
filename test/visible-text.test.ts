import { describe, expect, it } from 'vitest';
import { bidiControlPattern, codePoint, controlCharacterPattern, revealInvisible } from '../src/visible-text.js';

describe('revealInvisible', () => {
  it('writes controls and bidi controls as <U+XXXX>, keeping tab and line feed', () => {
    expect(revealInvisible('admin\u202Egpj.exe')).toBe('admin<U+202E>gpj.exe');
    expect(revealInvisible('\u001b[2J\rok\u0000\u007f\u0085\u009f')).toBe('<U+001B>[2J<U+000D>ok<U+0000><U+007F><U+0085><U+009F>');
    for (const c of ['\u061c', '\u200e', '\u200f', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069']) {
      expect(revealInvisible(`a${c}b`)).toBe(`a<${codePoint(c)}>b`);
    }
    expect(revealInvisible('tab\there\nnext line, é, 😀, \u00a0, \u200b')).toBe('tab\there\nnext line, é, 😀, \u00a0, \u200b');
  });

  it('agrees with the patterns validation refuses and warns on', () => {
    for (let code = 0; code < 0x2100; code += 1) {
      const c = String.fromCharCode(code);
      const shown = revealInvisible(c) !== c;
      expect({ c: codePoint(c), shown }).toEqual({ c: codePoint(c), shown: controlCharacterPattern.test(c) || bidiControlPattern.test(c) });
    }
  });
});
