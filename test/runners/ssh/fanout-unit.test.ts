import { describe, expect, it } from 'vitest';
import { aggregate, mapLimited, neededToPass } from '../../../runners/ssh/fanout.js';

describe('mapLimited', () => {
  it('keeps input order and never exceeds the limit', async () => {
    let running = 0;
    let peak = 0;
    const results = await mapLimited([30, 10, 20, 5, 1], 2, async (ms, index) => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, ms));
      running -= 1;
      return index;
    });
    expect(results).toEqual([0, 1, 2, 3, 4]);
    expect(peak).toBe(2);
  });
});

describe('success rules', () => {
  const outcome = (host: string, ok: boolean) => ({
    host,
    observation: ok ? { exitCode: 0 } : { exitCode: 1 },
    judgement: ok ? { ok: true } : { ok: false, reason: 'expectation' as const, message: 'exit code 1, expected 0' },
  });

  it('counts what each rule needs', () => {
    expect([neededToPass({ kind: 'all' }, 4), neededToPass({ kind: 'any' }, 4), neededToPass({ kind: 'atLeast', count: 3 }, 4)]).toEqual([4, 1, 3]);
  });

  it('shows the first passing host when the rule holds, the first failing one otherwise', () => {
    const outcomes = [outcome('a', false), outcome('b', true), outcome('c', true)];
    const held = aggregate(outcomes, { kind: 'atLeast', count: 2 }, 12);
    expect(held).toMatchObject({ exitCode: 0, durationMs: 12, details: { shownHost: 'b', passed: 2, failed: 1, rule: 'atLeast:2' } });
    expect(held.error).toBeUndefined();
    const broken = aggregate(outcomes, { kind: 'all' }, 12);
    expect(broken.exitCode).toBe(1);
    expect(broken.error).toEqual({ code: 'GROUP_RULE', message: '2 of 3 hosts passed; rule all needs 3. a: exit code 1, expected 0' });
  });
});
