/**
 * The scheduler on simulated time: catch-up, slots across the spring DST change, downtime recorded as
 * missed, overdue notices, no overlapping runs, and what stop and interrupt do to a running drill.
 * Runs are faked (a sealed, signed bundle appears when the simulated drill ends); the store is real.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { builtinRunners } from '../../runners/index.js';
import type { RunningDrill } from '../../src/engine/run.js';
import type { Verdict } from '../../src/evidence/run-record.js';
import type { NotifyEvent } from '../../src/notify/events.js';
import type { Notifier } from '../../src/notify/notifier.js';
import { createLocalStore } from '../../src/register/local-store.js';
import { createScheduler, type Scheduler, type SchedulerEvent } from '../../src/register/scheduler.js';
import type { Scenario } from '../../src/scenario/types.js';
import { testKeys } from '../evidence/fixtures.js';
import { runIdAt, storeBundle } from './bundles.js';
import { SimulatedClock } from '../../src/engine/simulated-clock.js';
import { at, iso } from './support.js';

const keys = testKeys();
let root: string;
let scenarios: string;
let store: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'drillbook-scheduler-'));
  scenarios = join(root, 'scenarios');
  store = join(root, 'reports');
  mkdirSync(scenarios);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function writeScenario(id: string, timing: string): void {
  writeFileSync(
    join(scenarios, `${id}.yaml`),
    `version: 1\nkind: drill\nid: ${id}\ntitle: ${id}\nowner: sre-team\n${timing}\nobjectives: {}\nsteps:\n  - id: pause\n    uses: wait\n    with: { duration: 1s }\n`,
  );
}

interface Fake {
  launch(scenario: Scenario): RunningDrill;
  /** Drills ending now: their bundle is being sealed (real I/O at one simulated instant). */
  ending: Set<Promise<void>>;
  starts: { scenarioId: string; at: string }[];
  interrupted: string[];
  maxConcurrent: number;
}

/** Drills that take `durationMs` of simulated time and end with a signed bundle in the store. */
function fakeDrills(clock: SimulatedClock, durationMs: number): Fake {
  let current = 0;
  const fake: Fake = {
    ending: new Set(),
    starts: [],
    interrupted: [],
    maxConcurrent: 0,
    launch(scenario) {
      const startedAt = iso(clock.wallNow());
      const runId = runIdAt(startedAt);
      const dir = join(store, scenario.id, runId);
      // What the engine leaves while a run is in progress: a journal and no record.
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'journal.jsonl'), '');
      fake.starts.push({ scenarioId: scenario.id, at: startedAt });
      current += 1;
      fake.maxConcurrent = Math.max(fake.maxConcurrent, current);
      let ended = false;
      let resolveDone: (value: Awaited<RunningDrill['done']>) => void = () => undefined;
      const done = new Promise<Awaited<RunningDrill['done']>>((resolve) => {
        resolveDone = resolve;
      });
      const end = async (verdict: Verdict) => {
        if (ended) return;
        ended = true;
        clock.clearTimeout(timer);
        rmSync(dir, { recursive: true });
        const { record, sealed } = await storeBundle(store, { startedAt, scenarioId: scenario.id, signingKey: keys.signing.privateKey, verdict, scenarioSha256: scenario.source.sha256 });
        current -= 1;
        resolveDone({ record, bundleDir: dir, seal: sealed });
      };
      const ending = (verdict: Verdict) => {
        const promise = end(verdict);
        fake.ending.add(promise);
        void promise.finally(() => fake.ending.delete(promise));
      };
      const timer = clock.setTimeout(() => ending('PASS'), durationMs);
      return {
        runId,
        bundleDir: dir,
        redact: (text: string) => text,
        interrupt: (signal) => {
          fake.interrupted.push(signal);
          ending('ABORTED');
        },
        abandon: () => undefined,
        done,
      };
    },
  };
  return fake;
}

function recordingNotifier(): Notifier & { events: NotifyEvent[] } {
  const events: NotifyEvent[] = [];
  return {
    webhooks: [],
    events,
    notify: (event) => {
      events.push(event);
      return Promise.resolve([]);
    },
  };
}

function schedulerFor(clock: SimulatedClock, fake: Fake, notifier?: Notifier, events: SchedulerEvent[] = []): Scheduler {
  return createScheduler({
    paths: [scenarios],
    store: createLocalStore(store),
    catalog: builtinRunners,
    history: { keys: [keys.trusted], mode: 'verified' },
    clock,
    launch: (scenario) => fake.launch(scenario),
    maxSleepMs: 7 * 86_400_000,
    host: 'test-host',
    pid: 4242,
    ...(notifier && { notifier }),
    onEvent: (event) => events.push(event),
  });
}

/** Fire timers until simulated time reaches `untilMs` (the scheduler's own work settles between timers). */
async function advanceTo(clock: SimulatedClock, scheduler: Scheduler, untilMs: number, fake?: Fake): Promise<void> {
  for (;;) {
    while (fake?.ending.size) await Promise.all([...fake.ending]);
    await scheduler.idle();
    const next = clock.nextWallAt();
    if (next === undefined || next > untilMs) return;
    clock.fireDue();
  }
}

describe('scheduler', () => {
  it('catches up a never-run scenario when its window opens, then runs its slots, across the spring DST change', async () => {
    writeScenario('weekly', 'schedule: "30 2 * * 0"\ntimezone: Europe/Berlin\ncadence: 21d\nwindow:\n  hours: { sun: "02:00-06:00" }');
    const clock = new SimulatedClock(at('2026-03-20T00:00:00Z')); // a Friday
    const fake = fakeDrills(clock, 10 * 60_000);
    const events: SchedulerEvent[] = [];
    const scheduler = schedulerFor(clock, fake, undefined, events);
    const stopped = scheduler.run();
    await advanceTo(clock, scheduler, at('2026-04-06T00:00:00Z'), fake);

    expect(fake.starts.map((s) => s.at)).toEqual([
      '2026-03-22T01:00:00.000Z', // the window opens, 02:00 CET: catch-up of the 15 March slot
      '2026-03-22T01:30:00.000Z', // 02:30 CET
      '2026-03-29T01:00:00.000Z', // 02:30 does not exist that night: 03:00 CEST
      '2026-04-05T00:30:00.000Z', // 02:30 CEST
    ]);
    const first = events.find((e) => e.type === 'pass');
    expect(first).toEqual({
      type: 'pass',
      atMs: at('2026-03-20T00:00:00Z'),
      decisions: [{ scenarioId: 'weekly', action: 'wait', reason: 'window closed: outside its hours' }],
      nextPassMs: at('2026-03-22T01:00:00Z'),
    });
    expect(events.filter((e) => e.type === 'missed')).toEqual([]);
    scheduler.stop();
    await stopped;
  });

  it('records the slots missed while it was down, with the reason, and sends an overdue notice once a day', async () => {
    writeScenario('weekly', 'schedule: "30 2 * * 0"\ntimezone: Europe/Berlin\ncadence: 14d\nwindow:\n  hours: { sun: "02:30-06:00" }\n  blackout: [{ from: 2026-04-19, to: 2026-04-19, reason: release day }]');
    await storeBundle(store, { startedAt: '2026-04-05T00:30:05.000Z', scenarioId: 'weekly', signingKey: keys.signing.privateKey, scenarioSha256: sha(join(scenarios, 'weekly.yaml')) });
    const clock = new SimulatedClock(at('2026-04-27T12:00:00Z')); // back after three weeks
    const fake = fakeDrills(clock, 10 * 60_000);
    const notifier = recordingNotifier();
    const events: SchedulerEvent[] = [];
    const scheduler = schedulerFor(clock, fake, notifier, events);
    const stopped = scheduler.run();
    await advanceTo(clock, scheduler, at('2026-04-28T13:00:00Z'), fake);

    const missed = events.flatMap((e) => (e.type === 'missed' ? [e.missed] : []));
    expect(missed).toEqual([
      { scenarioId: 'weekly', firstSlot: '2026-04-12T00:30:00.000Z', lastSlot: '2026-04-12T00:30:00.000Z', slots: 1, reason: 'not-started', schedule: '30 2 * * 0', timezone: 'Europe/Berlin', recordedAt: '2026-04-27T12:00:00.000Z', recordedBy: { host: 'test-host', pid: 4242 } },
      { scenarioId: 'weekly', firstSlot: '2026-04-19T00:30:00.000Z', lastSlot: '2026-04-19T00:30:00.000Z', slots: 1, reason: 'window-closed', schedule: '30 2 * * 0', timezone: 'Europe/Berlin', recordedAt: '2026-04-27T12:00:00.000Z', recordedBy: { host: 'test-host', pid: 4242 } },
    ]);
    expect(await createLocalStore(store).listMissed('weekly')).toEqual(missed);
    // Overdue since 19 April (14 days after the last pass): noticed at once, repeated after a day.
    expect(notifier.events.map((e) => (e.type === 'overdue' ? e.scenarios.map((s) => [s.id, s.overdueAt]) : e.type))).toEqual([
      [['weekly', '2026-04-19T00:30:05.000Z']],
      [['weekly', '2026-04-19T00:30:05.000Z']],
    ]);
    expect(fake.starts).toEqual([]); // the 26 April slot waits for Sunday's window
    scheduler.stop();
    await stopped;
  });

  it('never runs one scenario twice at once: slots that come during a run wait, then count as missed', async () => {
    writeScenario('often', 'schedule: "*/10 * * * *"');
    await storeBundle(store, { startedAt: '2026-01-01T00:00:30.000Z', scenarioId: 'often', signingKey: keys.signing.privateKey, scenarioSha256: sha(join(scenarios, 'often.yaml')) });
    const clock = new SimulatedClock(at('2026-01-01T00:05:00Z'));
    const fake = fakeDrills(clock, 25 * 60_000);
    const events: SchedulerEvent[] = [];
    const scheduler = schedulerFor(clock, fake, undefined, events);
    const stopped = scheduler.run();
    await advanceTo(clock, scheduler, at('2026-01-01T01:02:00Z'), fake);

    expect(fake.starts.map((s) => s.at)).toEqual(['2026-01-01T00:10:00.000Z', '2026-01-01T00:35:00.000Z', '2026-01-01T01:00:00.000Z']);
    expect(fake.maxConcurrent).toBe(1);
    const waits = events.flatMap((e) => (e.type === 'pass' ? e.decisions.filter((d) => d.action === 'wait').map((d) => [iso(e.atMs), d.reason]) : []));
    expect(waits).toEqual([
      ['2026-01-01T00:20:00.000Z', 'a run of it is in progress'],
      ['2026-01-01T00:30:00.000Z', 'a run of it is in progress'],
      ['2026-01-01T00:40:00.000Z', 'a run of it is in progress'],
      ['2026-01-01T00:50:00.000Z', 'a run of it is in progress'],
    ]);
    // Each slot whose ten minutes ended without a run of its own is missed, noticed at the next slot.
    expect(events.flatMap((e) => (e.type === 'missed' ? [[e.missed.firstSlot, e.missed.recordedAt]] : []))).toEqual([
      ['2026-01-01T00:20:00.000Z', '2026-01-01T00:30:00.000Z'],
      ['2026-01-01T00:40:00.000Z', '2026-01-01T00:50:00.000Z'],
      ['2026-01-01T00:50:00.000Z', '2026-01-01T01:00:00.000Z'],
    ]);
    scheduler.stop();
    await advanceTo(clock, scheduler, at('2026-01-01T02:00:00Z'), fake);
    await stopped;
  });

  it('on stop lets the running drill finish normally and starts nothing new; interrupt ends it through its cleanup', async () => {
    writeScenario('often', 'schedule: "*/10 * * * *"');
    await storeBundle(store, { startedAt: '2026-01-01T00:00:30.000Z', scenarioId: 'often', signingKey: keys.signing.privateKey, scenarioSha256: sha(join(scenarios, 'often.yaml')) });
    const clock = new SimulatedClock(at('2026-01-01T00:05:00Z'));
    const fake = fakeDrills(clock, 25 * 60_000);
    const events: SchedulerEvent[] = [];
    const scheduler = schedulerFor(clock, fake, undefined, events);
    let ended = false;
    const stopped = scheduler.run().then(() => {
      ended = true;
    });
    await advanceTo(clock, scheduler, at('2026-01-01T00:12:00Z'), fake);
    scheduler.stop();
    await advanceTo(clock, scheduler, at('2026-01-01T00:34:00Z'), fake);
    expect(ended).toBe(false);
    await advanceTo(clock, scheduler, at('2026-01-01T02:00:00Z'), fake);
    await stopped;
    expect(fake.starts.map((s) => s.at)).toEqual(['2026-01-01T00:10:00.000Z']);
    expect(fake.interrupted).toEqual([]);
    expect(events.filter((e) => e.type === 'finished')).toEqual([{ type: 'finished', scenarioId: 'often', runId: runIdAt('2026-01-01T00:10:00.000Z'), verdict: 'PASS', sealed: true }]);
    expect(events.at(-1)).toEqual({ type: 'stopped' });

    const clock2 = new SimulatedClock(at('2026-01-01T02:05:00Z'));
    const fake2 = fakeDrills(clock2, 25 * 60_000);
    const events2: SchedulerEvent[] = [];
    const second = schedulerFor(clock2, fake2, undefined, events2);
    const stopped2 = second.run();
    await advanceTo(clock2, second, at('2026-01-01T02:12:00Z'), fake2);
    expect(fake2.starts.map((s) => s.at)).toEqual(['2026-01-01T02:05:00.000Z']); // the 02:00 slot, caught up
    second.stop();
    second.interrupt('SIGTERM');
    await advanceTo(clock2, second, at('2026-01-01T02:12:00Z'), fake2);
    await stopped2;
    expect(fake2.interrupted).toEqual(['SIGTERM']);
    expect(events2.filter((e) => e.type === 'finished').map((e) => (e.type === 'finished' ? e.verdict : ''))).toEqual(['ABORTED']);
  });
});

function sha(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}
