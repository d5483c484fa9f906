/**
 * Delivering one webhook: POST the JSON body, give up on one attempt after its timeout, retry network
 * errors, 429 and 5xx a few times with a growing pause (Retry-After is honoured up to a minute). Other
 * statuses are final. The pause goes through an injected `sleep`, so tests never wait.
 */
import { redactUrl, type Webhook } from './config.js';

export interface SendOptions {
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Attempts in all (default 3). */
  attempts?: number;
}

export interface Delivery {
  /** The webhook's URL with its secret parts hidden. */
  target: string;
  ok: boolean;
  attempts: number;
  status?: number;
  error?: string;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function retryAfterMs(response: Response): number | undefined {
  const header = response.headers.get('retry-after');
  if (header === null) return undefined;
  const seconds = Number(header);
  return Number.isFinite(seconds) ? Math.min(60_000, Math.max(0, seconds * 1_000)) : undefined;
}

/** POST `body` to `hook`; never throws. */
export async function sendWebhook(hook: Webhook, body: unknown, options: SendOptions = {}): Promise<Delivery> {
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? realSleep;
  const attempts = options.attempts ?? 3;
  const delivery: Delivery = { target: redactUrl(hook.url), ok: false, attempts: 0 };
  for (let attempt = 1; attempt <= attempts; attempt++) {
    delivery.attempts = attempt;
    let pauseMs = 1_000 * 2 ** (attempt - 1);
    try {
      const response = await doFetch(hook.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'drillbook', ...hook.headers },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(hook.timeoutMs),
        redirect: 'error',
      });
      delivery.status = response.status;
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) {
        delivery.ok = true;
        delete delivery.error;
        return delivery;
      }
      delivery.error = `HTTP ${response.status}`;
      if (response.status !== 429 && response.status < 500) return delivery;
      pauseMs = retryAfterMs(response) ?? pauseMs;
    } catch (error) {
      // Node's fetch hides the reason in `cause`; never echo the URL (it may hold a secret).
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      delivery.error = (error as Error).name === 'TimeoutError' ? `no answer within ${hook.timeoutMs} ms` : (cause?.code ?? cause?.message ?? (error as Error).message);
    }
    if (attempt < attempts) await sleep(pauseMs);
  }
  return delivery;
}
