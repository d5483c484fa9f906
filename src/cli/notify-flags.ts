/** `--notify FILE` / `DRILLBOOK_NOTIFY`, `--webhook URL`, `--webhook-format`: who hears about failures and overdue drills. */
import type { Register } from '../register/build-register.js';
import { loadNotifyConfig, webhookFromUrl, type Webhook } from '../notify/config.js';
import { overdueEvent } from '../notify/from-run.js';
import { createNotifier, type Notifier } from '../notify/notifier.js';
import type { WebhookFormat } from '../notify/payloads.js';
import type { Delivery } from '../notify/send.js';
import type { CliIo } from './io.js';

export interface NotifyFlags {
  /** A notification file (YAML or JSON); default $DRILLBOOK_NOTIFY. */
  notify?: string;
  webhook?: string[];
  webhookFormat?: WebhookFormat;
}

/** The notifier the flags describe; undefined when no webhook is configured. */
export function notifyFlags(flags: NotifyFlags, env: NodeJS.ProcessEnv = process.env): Notifier | undefined {
  const file = flags.notify ?? env['DRILLBOOK_NOTIFY'];
  const hooks: Webhook[] = [...(file ? loadNotifyConfig(file, env) : []), ...(flags.webhook ?? []).map((url) => webhookFromUrl(url, flags.webhookFormat))];
  return hooks.length ? createNotifier(hooks) : undefined;
}

/** Tell about failed deliveries on stderr (notifications never change an exit code). */
export function reportDeliveries(deliveries: readonly Delivery[], what: string, io: CliIo): void {
  for (const d of deliveries) {
    if (!d.ok) io.stderr(`drillbook: notification (${what}) to ${d.target} failed after ${d.attempts} attempt${d.attempts === 1 ? '' : 's'}: ${d.error ?? 'unknown error'}\n`);
  }
}

/** Send the overdue scenarios of `register`, if any. */
export async function notifyOverdue(register: Register, notifier: Notifier, io: CliIo): Promise<void> {
  const event = overdueEvent(register);
  if (event) reportDeliveries(await notifier.notify(event), 'overdue', io);
}
