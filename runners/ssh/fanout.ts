/**
 * A step on a group: every host, `concurrency` at a time, each judged by the engine's own judge, then the
 * group's success rule. The aggregate carries one host's streams (the first that passed, else the first
 * that failed) so `expect` and `outputs` read as for one host; every host's result is in `details.hosts`.
 */
import { setMaxListeners } from 'node:events';
import type { Judgement, Observation } from '../../src/runner-contract.js';
import type { SuccessRule } from './resolve.js';

/** `fn` over `items` with at most `limit` in flight; results in input order. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return results;
}

/**
 * The step's signal, relayed to one that may carry a listener per host at work (each host listens
 * while it connects and runs), so a large group does not trip Node's listener-leak warning.
 */
export function groupSignal(signal: AbortSignal, hosts: number): { signal: AbortSignal; dispose(): void } {
  const relay = new AbortController();
  setMaxListeners(Math.max(10, hosts * 4), relay.signal);
  const abort = (): void => relay.abort(signal.reason);
  if (signal.aborted) abort();
  else signal.addEventListener('abort', abort, { once: true });
  return { signal: relay.signal, dispose: () => signal.removeEventListener('abort', abort) };
}

export function formatRule(rule: SuccessRule): string {
  return rule.kind === 'atLeast' ? `atLeast:${rule.count}` : rule.kind;
}

/** Hosts that must pass out of `total`. */
export function neededToPass(rule: SuccessRule, total: number): number {
  if (rule.kind === 'all') return total;
  if (rule.kind === 'any') return Math.min(1, total);
  return rule.count;
}

export interface HostOutcome {
  host: string;
  observation: Observation;
  judgement: Judgement;
}

function streamSummary(stream: Observation['stdout']): Record<string, unknown> | undefined {
  return stream ? { sha256: stream.sha256, bytes: stream.bytes, truncated: stream.truncated } : undefined;
}

/** Why a host failed, in a few words. */
function failureReason(outcome: HostOutcome): string {
  const { observation, judgement } = outcome;
  if (observation.error) return `${observation.error.code}: ${observation.error.message}`;
  if (judgement.message) return judgement.message;
  if (observation.signal) return `killed by ${observation.signal}`;
  return `exit code ${String(observation.exitCode)}`;
}

export function aggregate(outcomes: readonly HostOutcome[], rule: SuccessRule, durationMs: number): Observation {
  const passed = outcomes.filter((outcome) => outcome.judgement.ok);
  const failed = outcomes.filter((outcome) => !outcome.judgement.ok);
  const needed = neededToPass(rule, outcomes.length);
  const ok = passed.length >= needed;
  const shown = (ok ? passed[0] : failed[0]) ?? outcomes[0];
  const hosts = outcomes.map(({ host, observation, judgement }) => {
    const { hostKey: _hostKey, host: _host, ...rest } = observation.details ?? {};
    return {
      host,
      ok: judgement.ok,
      ...(observation.exitCode === undefined ? {} : { exitCode: observation.exitCode }),
      ...(observation.signal === undefined ? {} : { signal: observation.signal }),
      ...(observation.error ? { error: observation.error } : {}),
      ...(judgement.ok || !judgement.message ? {} : { message: judgement.message }),
      ...(observation.durationMs === undefined ? {} : { durationMs: observation.durationMs }),
      ...(observation.stdout ? { stdout: streamSummary(observation.stdout) } : {}),
      ...(observation.stderr ? { stderr: streamSummary(observation.stderr) } : {}),
      ...rest,
    };
  });
  const hostKey = outcomes.flatMap(({ observation }) => (Array.isArray(observation.details?.hostKey) ? (observation.details.hostKey as unknown[]) : []));
  const observation: Observation = {
    durationMs,
    details: { hostKey, hosts, rule: formatRule(rule), passed: passed.length, failed: failed.length, shownHost: shown?.host },
  };
  if (shown) {
    const { exitCode, signal, stdout, stderr } = shown.observation;
    if (exitCode !== undefined) observation.exitCode = exitCode;
    if (signal !== undefined) observation.signal = signal;
    if (stdout) observation.stdout = stdout;
    if (stderr) observation.stderr = stderr;
  }
  if (!ok) {
    const reasons = failed.map((outcome) => `${outcome.host}: ${failureReason(outcome)}`).join('; ');
    observation.error = {
      code: 'GROUP_RULE',
      message: `${passed.length} of ${outcomes.length} hosts passed; rule ${formatRule(rule)} needs ${needed}. ${reasons}`,
    };
  }
  return observation;
}
