import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLiteralMatcher, type LiteralMatch } from '../src/literal-matcher.js';

/** The definition: the first position where any literal starts, the longest literal there. */
function naiveNext(text: string, literals: readonly string[], from: number): LiteralMatch | undefined {
  for (let index = from; index < text.length; index += 1) {
    const lengths = literals.filter((l) => l !== '' && text.startsWith(l, index)).map((l) => l.length);
    if (lengths.length > 0) return { index, length: Math.max(...lengths) };
  }
  return undefined;
}

describe('createLiteralMatcher', () => {
  it('finds the leftmost match and, there, the longest literal', () => {
    const matcher = createLiteralMatcher(['pass', 'password', 'word']);
    expect(matcher.next('my password', 0)).toEqual({ index: 3, length: 8 });
    expect(matcher.next('my passwor', 0)).toEqual({ index: 3, length: 4 });
    expect(matcher.next('my passwor', 4)).toEqual(undefined);
    expect(matcher.longest).toBe(8);
  });

  it('treats regular-expression syntax, control characters and surrogates literally', () => {
    const matcher = createLiteralMatcher(['a+b(c)[d]$', '\\x', 'l\ni/ne', '😀']);
    expect(matcher.next('aab a+b(c)[d]$', 0)).toEqual({ index: 4, length: 10 });
    expect(matcher.next('x \\x', 0)).toEqual({ index: 2, length: 2 });
    expect(matcher.next('-l\ni/ne', 0)).toEqual({ index: 1, length: 6 });
    expect(matcher.next('\ud83d \ud83d\ude00', 0)).toEqual({ index: 2, length: 2 });
  });

  it('confirms literals longer than the compiled prefix, falling back to a shorter one or looking further', () => {
    const long = `${'k'.repeat(16)}-the-rest-of-a-long-literal`;
    const matcher = createLiteralMatcher([long, 'kkkk', `${'k'.repeat(16)}-other-end`]);
    expect(matcher.next(`..${long}`, 0)).toEqual({ index: 2, length: long.length });
    expect(matcher.next(`..${'k'.repeat(16)}-other-end`, 0)).toEqual({ index: 2, length: 26 });
    expect(matcher.next(`..${'k'.repeat(16)}-neither`, 0)).toEqual({ index: 2, length: 4 });
    const alone = createLiteralMatcher([long]);
    expect(alone.next(`${'k'.repeat(17)}-the-rest-of-a-long-literal`, 0)).toEqual({ index: 1, length: long.length });
    expect(alone.next(`${'k'.repeat(16)}-the-rest`, 0)).toEqual(undefined);
  });

  it('matches nothing without literals', () => {
    expect(createLiteralMatcher(['', '']).next('anything', 0)).toEqual(undefined);
    expect(createLiteralMatcher([]).longest).toBe(0);
  });

  it('agrees with the definition for any literals and text', () => {
    // A two-letter alphabet makes shared prefixes, and literals past the 16-character prefix, frequent.
    const unit = fc.constantFrom('a', 'b');
    const literal = fc.string({ unit, minLength: 1, maxLength: 40 });
    fc.assert(
      fc.property(fc.array(literal, { minLength: 1, maxLength: 8 }), fc.string({ unit, maxLength: 120 }), fc.nat(120), (literals, text, from) => {
        const matcher = createLiteralMatcher(literals);
        expect(matcher.next(text, from)).toEqual(naiveNext(text, literals, from));
      }),
      { numRuns: Number(process.env['DRILLBOOK_CAMPAIGN_RUNS'] ?? 300) },
    );
  });
});
