/** Value checks of schema.ts that need no document: they agree with the code that uses the values. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/scenario/duration.js';
import { captureGroups, cronProblem, durationPattern, isTimeZone, regexProblem, splitRpoFrom } from '../../src/scenario/schema.js';

describe('duration pattern (JSON Schema) and parseDuration agree', () => {
  it('on examples', () => {
    for (const text of ['500ms', '90s', '15m', '2h', '90d', '1h30m', '1d2h3m4s5ms', '0s', '10m5s']) {
      expect({ text, pattern: durationPattern.test(text), parsed: parseDuration(text) !== undefined }).toEqual({ text, pattern: true, parsed: true });
    }
    for (const text of ['', '5', 'm', '1.5h', '15 m', '15min', '1m1h', '-1s', '1s500', ' 1s', '1S', '1ms1s']) {
      expect({ text, pattern: durationPattern.test(text), parsed: parseDuration(text) !== undefined }).toEqual({ text, pattern: false, parsed: false });
    }
  });

  it('on random text made of duration characters', () => {
    const text = fc.array(fc.constantFrom('1', '0', '9', 'd', 'h', 'm', 's', 'ms', ' ', '.'), { maxLength: 12 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(text, (candidate) => {
        const parsed = parseDuration(candidate);
        // The pattern cannot see the safe-integer bound (the schema's refine does); only a number of
        // nine digits or more (days) can cross it.
        if (parsed !== undefined) expect(durationPattern.test(candidate)).toBe(true);
        else if (durationPattern.test(candidate)) expect(candidate).toMatch(/\d{9,}/);
      }),
      { numRuns: 1_000 },
    );
  });
});

describe('value checks', () => {
  it('regular expressions and their capture groups', () => {
    expect(regexProblem('(a|b)+')).toBeUndefined();
    expect(regexProblem('(')).toBe('Unterminated group');
    expect(captureGroups('version (\\S+)')).toBe(1);
    expect(captureGroups('(?:a)(b)(?<c>c)')).toBe(2);
    expect(captureGroups('no groups')).toBe(0);
  });

  it('cron expressions (croner) and time zones (Intl)', () => {
    expect(cronProblem('0 3 * * 1')).toBeUndefined();
    expect(cronProblem('@daily')).toBeUndefined();
    expect(cronProblem('0 25 * * *')).toBe('Invalid value for hour: 25');
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Europe/Paris')).toBe(true);
    expect(isTimeZone('Europe/Pariss')).toBe(false);
    expect(isTimeZone('')).toBe(false);
  });

  it('rpoFrom splits into a step id and an output name', () => {
    expect(splitRpoFrom('data-loss.rpo')).toEqual({ stepId: 'data-loss', output: 'rpo' });
    expect(splitRpoFrom('data-loss')).toBeUndefined();
    expect(splitRpoFrom('Data.rpo')).toBeUndefined();
  });
});
