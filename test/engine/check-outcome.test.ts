/** Only a check that ran to its end and was judged decides; nothing is assumed from one that could not. */
import { describe, expect, it } from 'vitest';
import { checkOutcome } from '../../src/engine/check-outcome.js';
import { judgeObservation } from '../../src/engine/expect.js';

describe('checkOutcome', () => {
  it('passed: happened; failed on its expectation: not happened', () => {
    expect(checkOutcome({ status: 'passed' })).toBe('happened');
    expect(checkOutcome({ status: 'failed', reason: 'expectation' })).toBe('not-happened');
  });

  it('killed, timed out, stopped, could not run, or never finished: unknown', () => {
    expect(checkOutcome({ status: 'failed', reason: 'expectation', signal: 'SIGKILL' })).toBe('unknown');
    expect(checkOutcome({ status: 'failed', reason: 'timeout' })).toBe('unknown');
    expect(checkOutcome({ status: 'failed', reason: 'cancelled' })).toBe('unknown');
    expect(checkOutcome({ status: 'failed', reason: 'error' })).toBe('unknown');
    expect(checkOutcome(undefined)).toBe('unknown');
  });

  it('a person failing a manual check is a judgement, a runner that could not run is not', () => {
    expect(judgeObservation(undefined, { error: { code: 'OPERATOR_FAILED', message: 'failed by ana', judged: true } }).reason).toBe('expectation');
    expect(judgeObservation(undefined, { error: { code: 'CONNECT', message: 'refused' } }).reason).toBe('error');
  });
});
