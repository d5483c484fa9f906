/** The engine's judge: one place decides whether an observation meets a step's expectations. */
import type { Judgement, Observation } from '../runner-contract.js';
import type { Expectation } from '../scenario/types.js';

function searches(pattern: string, text: string): boolean {
  return new RegExp(pattern, 'm').test(text);
}

function truncationNote(stream: { truncated: boolean } | undefined): string {
  return stream?.truncated ? ' (only the captured start of the output was searched)' : '';
}

export function judgeObservation(expect: Expectation | undefined, observation: Observation): Judgement {
  if (observation.error) return { ok: false, reason: observation.error.judged ? 'expectation' : 'error', message: observation.error.message };

  if (observation.exitCode !== undefined || observation.signal !== undefined) {
    const allowed = expect?.exitCode ?? [0];
    if (observation.signal !== undefined && observation.exitCode === undefined) {
      return { ok: false, reason: 'expectation', message: `killed by signal ${observation.signal}` };
    }
    if (observation.exitCode !== undefined && !allowed.includes(observation.exitCode)) {
      return {
        ok: false,
        reason: 'expectation',
        message: `exit code ${observation.exitCode}, expected ${allowed.length === 1 ? allowed[0] : `one of ${allowed.join(', ')}`}`,
      };
    }
  }
  if (expect?.stdout !== undefined && !searches(expect.stdout, observation.stdout?.text ?? '')) {
    return { ok: false, reason: 'expectation', message: `stdout does not match /${expect.stdout}/${truncationNote(observation.stdout)}` };
  }
  if (expect?.stderr !== undefined && !searches(expect.stderr, observation.stderr?.text ?? '')) {
    return { ok: false, reason: 'expectation', message: `stderr does not match /${expect.stderr}/${truncationNote(observation.stderr)}` };
  }
  if (observation.status !== undefined) {
    const allowed = expect?.status;
    const ok = allowed ? allowed.includes(observation.status) : observation.status >= 200 && observation.status < 300;
    if (!ok) {
      return {
        ok: false,
        reason: 'expectation',
        message: `HTTP status ${observation.status}, expected ${allowed ? allowed.join(' or ') : '2xx'}`,
      };
    }
  }
  if (expect?.body !== undefined && !searches(expect.body, observation.body?.text ?? '')) {
    return { ok: false, reason: 'expectation', message: `body does not match /${expect.body}/${truncationNote(observation.body)}` };
  }
  return { ok: true };
}
