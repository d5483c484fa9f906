/**
 * Webhook bodies: drillbook's own JSON (`generic`), a Slack incoming-webhook message (text + Block Kit) and
 * a Microsoft Teams message carrying an Adaptive Card (what Teams workflows and incoming webhooks accept).
 * Pure: the event and the time in, the JSON value out.
 */
import { formatDuration } from '../scenario/duration.js';
import { revealInvisible } from '../visible-text.js';
import type { ObjectiveRecord } from '../evidence/run-record.js';
import type { NotifyEvent, OverdueEvent, RunFinishedEvent } from './events.js';

export const webhookFormats = ['generic', 'slack', 'teams'] as const;
export type WebhookFormat = (typeof webhookFormats)[number];

/** Version of the generic payload; a breaking change gets a new number. */
export const genericPayloadVersion = 1;

function objective(name: string, o: ObjectiveRecord): string | undefined {
  if (o.targetMs === undefined && o.achievedMs === undefined) return undefined;
  const achieved = o.achievedMs === undefined ? 'not measured' : formatDuration(o.achievedMs);
  return `${name} ${achieved}${o.targetMs === undefined ? '' : ` / target ${formatDuration(o.targetMs)}`} (${o.status})`;
}

function title(event: NotifyEvent): string {
  if (event.type === 'overdue') {
    const n = event.scenarios.length;
    return `drillbook: ${n} scenario${n === 1 ? '' : 's'} overdue`;
  }
  return `drillbook: ${event.scenario.id} ${event.run.verdict}${event.run.cleanupIncomplete?.length ? ' — CLEANUP INCOMPLETE' : ''}`;
}

function runFacts(event: RunFinishedEvent): [string, string][] {
  const r = event.run;
  const facts: [string, string][] = [
    ['Scenario', `${event.scenario.title} (${event.scenario.id})`],
    ['Owner', event.scenario.owner],
    ['Verdict', `${r.verdict} (${r.endReason})`],
    ['Started', r.startedAt],
    ['Duration', formatDuration(r.durationMs)],
  ];
  const objectives = [objective('RTO', r.rto), objective('RPO', r.rpo)].filter((x): x is string => x !== undefined);
  if (objectives.length) facts.push(['Objectives', objectives.join('; ')]);
  if (r.cleanupIncomplete?.length) {
    facts.push(['CLEANUP INCOMPLETE', `the environment may be inconsistent; finish by hand: ${r.cleanupIncomplete.map((c) => `${c.stepId} (${c.status})`).join(', ')}`]);
  }
  if (r.verdictReasons.length) facts.push(['Why', r.verdictReasons.join('; ')]);
  facts.push(['Evidence', `${r.bundle}${r.signed ? '' : ' (unsigned)'}`]);
  return facts;
}

function overdueLines(event: OverdueEvent): string[] {
  return event.scenarios.map((s) => `${s.id} (${s.owner}): ${s.lastPass ? `last pass ${s.lastPass}` : 'no pass on record'}${s.overdueAt ? `, overdue since ${s.overdueAt}` : ''}`);
}

function generic(event: NotifyEvent, sentAt: string): Record<string, unknown> {
  return { source: 'drillbook', version: genericPayloadVersion, event: event.type, sentAt, summary: title(event), ...(event.type === 'overdue' ? { store: event.store, scenarios: event.scenarios } : { scenario: event.scenario, run: event.run }) };
}

/** For people's chat clients: controls and bidi controls shown, never applied. */
function visible(event: NotifyEvent): NotifyEvent {
  const reveal = (value: unknown): unknown =>
    typeof value === 'string'
      ? revealInvisible(value)
      : Array.isArray(value)
        ? value.map(reveal)
        : value !== null && typeof value === 'object'
          ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reveal(v)]))
          : value;
  return reveal(event) as NotifyEvent;
}

// Slack mrkdwn treats &, < and > as markup.
const slackText = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function slack(raw: NotifyEvent): Record<string, unknown> {
  const event = visible(raw);
  const lines = event.type === 'overdue' ? overdueLines(event).map((l) => `• ${slackText(l)}`) : runFacts(event).map(([k, v]) => `*${k}:* ${slackText(v)}`);
  return {
    text: title(event),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: title(event).slice(0, 150) } },
      { type: 'section', text: { type: 'mrkdwn', text: lines.join('\n').slice(0, 3000) } },
    ],
  };
}

function teams(raw: NotifyEvent): Record<string, unknown> {
  const event = visible(raw);
  const body: Record<string, unknown>[] = [{ type: 'TextBlock', size: 'Large', weight: 'Bolder', text: title(event), wrap: true, color: event.type === 'run.finished' && event.run.verdict === 'PASS' ? 'Good' : 'Attention' }];
  if (event.type === 'overdue') body.push(...overdueLines(event).map((text) => ({ type: 'TextBlock', text, wrap: true })));
  else body.push({ type: 'FactSet', facts: runFacts(event).map(([title, value]) => ({ title, value })) });
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: { $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', type: 'AdaptiveCard', version: '1.4', body },
      },
    ],
  };
}

/** The JSON body of `event` in `format`. */
export function renderPayload(event: NotifyEvent, format: WebhookFormat, sentAt: string): Record<string, unknown> {
  if (format === 'slack') return slack(event);
  if (format === 'teams') return teams(event);
  return generic(event, sentAt);
}
