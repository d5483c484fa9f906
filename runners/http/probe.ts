/** One HTTP request, observed: status and bounded body, or the network error. Redirects are not followed. */
import type { AttemptContext, Observation } from '../../src/runner-contract.js';
import { createCapture } from '../shared/capture.js';
import { displayUrl } from './url.js';

export interface ProbeRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
  timeoutMs: number;
}

type ProbeContext = Pick<AttemptContext, 'signal' | 'clock' | 'captureLimitBytes'>;

export async function probeOnce(request: ProbeRequest, ctx: ProbeContext): Promise<Observation> {
  const { url, method, timeoutMs } = request;
  const timeout = new AbortController();
  const finished = new AbortController();
  // The request limit runs on the attempt's clock, like every other delay.
  ctx.clock.sleep(timeoutMs, finished.signal).then(
    () => {
      timeout.abort(new Error(`no complete answer within ${timeoutMs} ms`));
    },
    () => undefined,
  );
  const body = createCapture(ctx.captureLimitBytes);
  let status: number | undefined;
  let location: string | null = null;
  try {
    const response = await fetch(url, {
      method,
      headers: request.headers,
      ...(request.body === undefined ? {} : { body: request.body }),
      // A 3xx is what the service answered; following it could probe another host.
      redirect: 'manual',
      signal: AbortSignal.any([ctx.signal, timeout.signal]),
    });
    status = response.status;
    location = response.headers.get('location');
    if (response.body) for await (const chunk of response.body as AsyncIterable<Uint8Array>) body.update(chunk);
    return { status, body: body.result(), ...(location === null ? {} : { details: { location } }) };
  } catch (error) {
    const partial: Observation = status === undefined ? {} : { status, body: body.result() };
    if (timeout.signal.aborted && !ctx.signal.aborted) {
      return { ...partial, error: { code: 'TIMEOUT', message: `${method} ${displayUrl(url)}: no complete answer within ${timeoutMs} ms` } };
    }
    if (ctx.signal.aborted) return { ...partial, error: { code: 'CANCELLED', message: `${method} ${displayUrl(url)}: stopped during the request` } };
    return { ...partial, error: requestError(method, url, error) };
  } finally {
    finished.abort();
  }
}

/** fetch wraps the useful part (`connect ECONNREFUSED 127.0.0.1:8080`) in `cause`. */
function requestError(method: string, url: URL, error: unknown): { code: string; message: string } {
  const outer = error as { message?: unknown; cause?: unknown };
  const cause = (outer.cause ?? outer) as { code?: unknown; message?: unknown; errors?: unknown };
  const code = typeof cause.code === 'string' ? cause.code : 'REQUEST_FAILED';
  let detail = typeof cause.message === 'string' && cause.message !== '' ? cause.message : '';
  // Several addresses tried (localhost → ::1 and 127.0.0.1): AggregateError with an empty message.
  if (detail === '' && Array.isArray(cause.errors)) {
    detail = cause.errors.map((e) => String((e as { message?: unknown }).message)).join('; ');
  }
  if (detail === '') detail = typeof outer.message === 'string' ? outer.message : String(error);
  return { code, message: `${method} ${displayUrl(url)}: ${detail}` };
}
