/**
 * The `http` runner: probe a URL until the engine's judge passes it `consecutive` times in a row, pausing
 * `interval` between probes. When the step is stopped first it resolves with the last probe it saw.
 */
import type { Observation, ParsedAttemptContext, TypedStepRunner } from '../../src/runner-contract.js';
import type { HttpOptions } from './definition.js';
import { probeOnce, type ProbeRequest } from './probe.js';
import { displayUrl, requestProblem, resolveProbeUrl } from './url.js';

export const defaultIntervalMs = 1_000;
export const defaultRequestTimeoutMs = 10_000;

/** The `http` runner. */
export function createHttpRunner(): TypedStepRunner<HttpOptions> {
  return { run: runHttp };
}

async function runHttp(ctx: ParsedAttemptContext<HttpOptions>): Promise<Observation> {
  const { options } = ctx;
  const baseUrl = ctx.target && 'baseUrl' in ctx.target && typeof ctx.target.baseUrl === 'string' ? ctx.target.baseUrl : undefined;
  const resolved = resolveProbeUrl(options.url, baseUrl);
  if ('problem' in resolved) return { error: { code: 'INVALID_URL', message: `http: ${resolved.problem}` } };
  // Known now, true for every probe: fail the attempt at once instead of probing until the timeout.
  const problem = requestProblem(resolved.url, options.headers ?? {});
  if (problem) return { error: { code: problem.code, message: `http: ${problem.message}` }, details: { url: displayUrl(resolved.url) } };

  const request: ProbeRequest = {
    url: resolved.url,
    method: options.method ?? 'GET',
    headers: options.headers ?? {},
    body: options.body,
    timeoutMs: options.requestTimeout ?? defaultRequestTimeoutMs,
  };
  const intervalMs = options.interval ?? defaultIntervalMs;
  const consecutive = options.consecutive ?? 1;
  let probes = 0;
  let passesInARow = 0;
  let last: Observation | undefined;
  const finish = (observation: Observation): Observation => ({
    ...observation,
    details: { ...observation.details, url: displayUrl(request.url), method: request.method, probes, passesInARow, consecutive },
  });

  while (!ctx.signal.aborted) {
    const observation = await probeOnce(request, ctx);
    // A probe cut short by the stop observed nothing about the service; the previous one did.
    if (ctx.signal.aborted) return finish(last ?? observation);
    probes += 1;
    last = observation;
    const judgement = ctx.judge(observation);
    passesInARow = judgement.ok ? passesInARow + 1 : 0;
    ctx.log.debug({ probe: probes, status: observation.status, error: observation.error?.code, ok: judgement.ok, passesInARow }, 'http probe');
    if (passesInARow >= consecutive) return finish(observation);
    try {
      await ctx.clock.sleep(intervalMs, ctx.signal);
    } catch (error) {
      if (!ctx.signal.aborted) throw error;
    }
  }
  return finish(last ?? { error: { code: 'CANCELLED', message: `${request.method} ${displayUrl(request.url)}: stopped before the first probe` } });
}
