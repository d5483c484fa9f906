/**
 * Webhook configuration: a file (YAML or JSON) listing webhooks, or URLs given on the command line. URLs and
 * header values may come from the environment, so that secrets (a Slack webhook URL is one) stay out of files.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { DrillbookError } from '../errors.js';
import { parseDuration } from '../scenario/duration.js';
import { defaultTriggers, notifyTriggers, type NotifyTrigger } from './events.js';
import { webhookFormats, type WebhookFormat } from './payloads.js';

const fromEnv = z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/) });
const value = z.union([z.string().min(1), fromEnv]);
const duration = z.string().refine((text) => parseDuration(text) !== undefined, { message: 'expected a duration such as 10s' });

export const notifyConfigSchema = z.strictObject({
  webhooks: z
    .array(
      z.strictObject({
        url: value,
        format: z.enum(webhookFormats).optional(),
        on: z.array(z.enum(notifyTriggers)).min(1).optional(),
        headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/), value).optional(),
        timeout: duration.optional(),
        /** How often the scheduler repeats an overdue notice while a scenario stays overdue (default 24h). */
        repeat: duration.optional(),
      }),
    )
    .min(1),
});

/** One webhook, resolved: secrets read from the environment. */
export interface Webhook {
  url: string;
  format: WebhookFormat;
  on: readonly NotifyTrigger[];
  headers: Record<string, string>;
  timeoutMs: number;
  repeatMs: number;
}

const defaults = { timeoutMs: 10_000, repeatMs: 86_400_000 } as const;

function resolveValue(v: z.infer<typeof value>, where: string, env: NodeJS.ProcessEnv): string {
  if (typeof v === 'string') return v;
  const found = env[v.env];
  if (!found) throw new DrillbookError('USAGE', `${where}: environment variable ${v.env} is not set`);
  return found;
}

/** The format a URL's host implies: Slack and Teams webhooks are recognised, anything else gets the generic JSON. */
export function guessFormat(url: string): WebhookFormat {
  let host = '';
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return 'generic';
  }
  if (host === 'hooks.slack.com') return 'slack';
  if (host.endsWith('.webhook.office.com') || host.endsWith('.logic.azure.com') || host.endsWith('.powerplatform.com')) return 'teams';
  return 'generic';
}

function assertUrl(url: string, where: string): void {
  if (!/^https?:\/\//i.test(url) || !URL.canParse(url)) throw new DrillbookError('USAGE', `${where}: a webhook URL must be an absolute http(s) URL`);
}

/** A webhook URL with its secret parts hidden, for messages: scheme, host and port only. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return 'an invalid URL';
  }
}

/** Read a notification file (YAML or JSON). */
export function loadNotifyConfig(file: string, env: NodeJS.ProcessEnv = process.env): Webhook[] {
  let data: unknown;
  try {
    data = parse(readFileSync(file, 'utf8'), { version: '1.2', merge: false });
  } catch (error) {
    throw new DrillbookError('USAGE', `cannot read notification file ${file}: ${(error as Error).message}`, { cause: error });
  }
  const parsed = notifyConfigSchema.safeParse(data);
  if (!parsed.success) {
    const details = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(file)'}: ${i.message}`).join('\n');
    throw new DrillbookError('USAGE', `notification file ${file} is not valid`, { details, hint: 'see docs/scheduling.md, "Notifications"' });
  }
  return parsed.data.webhooks.map((hook, index) => {
    const where = `${file}: webhooks[${index}]`;
    const url = resolveValue(hook.url, `${where}.url`, env);
    assertUrl(url, `${where}.url`);
    const headers: Record<string, string> = {};
    for (const [name, v] of Object.entries(hook.headers ?? {})) headers[name] = resolveValue(v, `${where}.headers.${name}`, env);
    return {
      url,
      format: hook.format ?? guessFormat(url),
      on: hook.on ?? defaultTriggers,
      headers,
      timeoutMs: hook.timeout === undefined ? defaults.timeoutMs : (parseDuration(hook.timeout) ?? defaults.timeoutMs),
      repeatMs: hook.repeat === undefined ? defaults.repeatMs : (parseDuration(hook.repeat) ?? defaults.repeatMs),
    };
  });
}

/** A webhook from `--webhook URL` (format from `--webhook-format`, else guessed from the host). */
export function webhookFromUrl(url: string, format?: WebhookFormat): Webhook {
  assertUrl(url, '--webhook');
  return { url, format: format ?? guessFormat(url), on: defaultTriggers, headers: {}, ...defaults };
}
