/** Webhook notifications delivered to a real HTTP receiver on 127.0.0.1: payload formats, triggers, retries, configuration. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { guessFormat, loadNotifyConfig, webhookFromUrl, type Webhook } from '../../src/notify/config.js';
import type { OverdueEvent } from '../../src/notify/events.js';
import { runFinishedEvent } from '../../src/notify/from-run.js';
import { createNotifier } from '../../src/notify/notifier.js';
import { sampleRecord } from '../evidence/fixtures.js';
import { startReceiver, type Receiver } from './receiver.js';

let receiver: Receiver;
const pauses: number[] = [];
const sleep = (ms: number) => {
  pauses.push(ms);
  return Promise.resolve();
};
const now = () => Date.parse('2026-11-28T12:00:00Z');

beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(() => receiver.close());
afterEach(() => {
  receiver.received.length = 0;
  receiver.answers.length = 0;
  pauses.length = 0;
});

const failed = runFinishedEvent({ ...sampleRecord(), verdict: 'FAIL', verdictReasons: ['RTO missed: 45s against 30s'], objectives: { ...sampleRecord().objectives, rto: { status: 'missed', targetMs: 30_000, achievedMs: 45_000 } } }, 'reports/pg-failover/20261128T100000Z-4f2a', true);
const overdue: OverdueEvent = {
  type: 'overdue',
  store: 'reports',
  scenarios: [{ id: 'pg-failover', title: 'PostgreSQL failover', owner: 'dba-team', kind: 'drill', overdueAt: '2026-11-01T02:00:00.000Z', lastPass: '2026-08-03T02:00:00.000Z', lastRun: null, notes: [] }],
};

function hook(path: string, format: Webhook['format'], extra: Partial<Webhook> = {}): Webhook {
  return { ...webhookFromUrl(`${receiver.url}${path}`, format), ...extra };
}

describe('webhook notifications', () => {
  it('posts drillbook JSON, a Slack message and a Teams Adaptive Card for a failed run', async () => {
    const notifier = createNotifier([hook('/generic', 'generic'), hook('/slack', 'slack'), hook('/teams', 'teams')], { sleep, now });
    const deliveries = await notifier.notify(failed);
    expect(deliveries.map((d) => [d.ok, d.status, d.attempts])).toEqual([
      [true, 200, 1],
      [true, 200, 1],
      [true, 200, 1],
    ]);
    const byPath = Object.fromEntries(receiver.received.map((r) => [r.path, r]));
    expect(byPath['/generic']?.headers['content-type']).toBe('application/json');
    expect(byPath['/generic']?.body).toMatchObject({
      source: 'drillbook',
      version: 1,
      event: 'run.finished',
      sentAt: '2026-11-28T12:00:00.000Z',
      summary: 'drillbook: pg-failover FAIL',
      scenario: { id: 'pg-failover', owner: 'dba-team', kind: 'drill', environment: 'staging' },
      run: { runId: '20261128T100000Z-4f2a', verdict: 'FAIL', rto: { status: 'missed', targetMs: 30_000, achievedMs: 45_000 }, bundle: 'reports/pg-failover/20261128T100000Z-4f2a', signed: true },
    });
    const slack = byPath['/slack']?.body as { text: string; blocks: { type: string; text: { type: string; text: string } }[] };
    expect(slack.text).toBe('drillbook: pg-failover FAIL');
    expect(slack.blocks.map((b) => [b.type, b.text.type])).toEqual([
      ['header', 'plain_text'],
      ['section', 'mrkdwn'],
    ]);
    expect(slack.blocks[1]?.text.text).toContain('*Objectives:* RTO 45s / target 30s (missed); RPO 1.2s / target 1m (met)');
    const teams = byPath['/teams']?.body as { type: string; attachments: { contentType: string; content: { type: string; version: string; body: { type: string; text?: string; facts?: { title: string; value: string }[] }[] } }[] };
    expect(teams.type).toBe('message');
    expect(teams.attachments[0]?.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(teams.attachments[0]?.content).toMatchObject({ type: 'AdaptiveCard', version: '1.4' });
    expect(teams.attachments[0]?.content.body[0]).toMatchObject({ type: 'TextBlock', text: 'drillbook: pg-failover FAIL', color: 'Attention' });
    expect(teams.attachments[0]?.content.body[1]?.facts?.find((f) => f.title === 'Verdict')?.value).toBe('FAIL (completed)');
  });

  it('sends only what each webhook listens for: FAIL, ABORTED and overdue by default, not PASS', async () => {
    const notifier = createNotifier([hook('/default', 'generic'), hook('/passes', 'generic', { on: ['PASS'] })], { sleep, now });
    expect(await notifier.notify(runFinishedEvent(sampleRecord(), 'b', true))).toHaveLength(1);
    expect(await notifier.notify(overdue)).toHaveLength(1);
    expect(receiver.received.map((r) => [r.path, (r.body as { event: string }).event])).toEqual([
      ['/passes', 'run.finished'],
      ['/default', 'overdue'],
    ]);
    expect((receiver.received[1]?.body as { scenarios: unknown[] }).scenarios).toEqual(overdue.scenarios);
  });

  it('retries 5xx and 429 (honouring Retry-After), gives up on other statuses, and hides the URL path', async () => {
    receiver.answers.push({ status: 503 }, { status: 429, retryAfter: '7' });
    const notifier = createNotifier([hook('/secret-token-path', 'generic')], { sleep, now });
    const [retried] = await notifier.notify(failed);
    expect(retried).toEqual({ target: `${receiver.url}/…`, ok: true, attempts: 3, status: 200 });
    expect(pauses).toEqual([1_000, 7_000]);

    receiver.answers.push({ status: 404 });
    const [rejected] = await notifier.notify(failed);
    expect(rejected).toEqual({ target: `${receiver.url}/…`, ok: false, attempts: 1, status: 404, error: 'HTTP 404' });
  });

  it('reports an unreachable receiver without throwing', async () => {
    const closed = await startReceiver();
    await closed.close();
    const [delivery] = await createNotifier([webhookFromUrl(`${closed.url}/x`, 'generic')], { sleep, now }).notify(failed);
    expect(delivery).toEqual({ target: `${closed.url}/…`, ok: false, attempts: 3, error: 'ECONNREFUSED' });
  });
});

describe('notification configuration', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'drillbook-notify-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads webhooks from YAML, secrets from the environment, formats from the host', () => {
    const file = join(dir, 'notify.yaml');
    writeFileSync(file, 'webhooks:\n  - url: { env: SLACK_URL }\n  - url: https://alerts.example/hook\n    on: [FAIL, overdue]\n    headers: { Authorization: { env: ALERT_TOKEN } }\n    timeout: 5s\n    repeat: 12h\n');
    const hooks = loadNotifyConfig(file, { SLACK_URL: 'https://hooks.slack.com/services/T0/B0/x', ALERT_TOKEN: 'Bearer abc' });
    expect(hooks).toEqual([
      { url: 'https://hooks.slack.com/services/T0/B0/x', format: 'slack', on: ['FAIL', 'ABORTED', 'overdue'], headers: {}, timeoutMs: 10_000, repeatMs: 86_400_000 },
      { url: 'https://alerts.example/hook', format: 'generic', on: ['FAIL', 'overdue'], headers: { Authorization: 'Bearer abc' }, timeoutMs: 5_000, repeatMs: 43_200_000 },
    ]);
    expect(() => loadNotifyConfig(file, {})).toThrow(`${file}: webhooks[0].url: environment variable SLACK_URL is not set`);
    expect([guessFormat('https://hooks.slack.com/services/x'), guessFormat('https://contoso.webhook.office.com/webhookb2/x'), guessFormat('https://prod-1.westeurope.logic.azure.com/workflows/x'), guessFormat('http://127.0.0.1:9/x')]).toEqual(['slack', 'teams', 'teams', 'generic']);
  });

  it('refuses a file that does not fit, naming what is wrong', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'webhooks:\n  - url: https://x.example\n    on: [FAILED]\n');
    expect(() => loadNotifyConfig(file, {})).toThrow(/notification file .*bad\.yaml is not valid\n {2}webhooks\.0\.on\.0: Invalid option/);
  });
});
