/** Sends an event to every webhook that listens for it, in its format. */
import type { Webhook } from './config.js';
import { triggerOf, type NotifyEvent } from './events.js';
import { renderPayload } from './payloads.js';
import { sendWebhook, type Delivery, type SendOptions } from './send.js';

export interface Notifier {
  readonly webhooks: readonly Webhook[];
  /** Deliver `event` to the webhooks listening for it; one Delivery each (none when nobody listens). */
  notify(event: NotifyEvent): Promise<Delivery[]>;
}

export function createNotifier(webhooks: readonly Webhook[], options: SendOptions & { now?: () => number } = {}): Notifier {
  const now = options.now ?? Date.now;
  return {
    webhooks,
    async notify(event) {
      const trigger = triggerOf(event);
      const listening = webhooks.filter((hook) => hook.on.includes(trigger));
      const sentAt = new Date(now()).toISOString();
      return Promise.all(listening.map((hook) => sendWebhook(hook, renderPayload(event, hook.format, sentAt), options)));
    },
  };
}
