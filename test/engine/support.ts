/** Builders for engine tests: scenarios as data, a scripted runner, a simulated clock. */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { onTestFinished } from 'vitest';
import { z } from 'zod';
import { createJournal } from '../../src/evidence/journal.js';
import type { RunRecord } from '../../src/evidence/run-record.js';
import { createRedactor } from '../../src/redact.js';
import type { AttemptContext, Observation, RunnerCatalog, StepRunner } from '../../src/runner-contract.js';
import type { GroupStep, Scenario, Step } from '../../src/scenario/types.js';
import { SimulatedClock } from '../../src/engine/simulated-clock.js';
import { startDrill, type DrillHandle, type StartDrillOptions } from '../../src/engine/drill-actor.js';
import { createJournalWriter, type JournalWriter } from '../../src/engine/journal-writer.js';
import type { OperatorDesk } from '../../src/engine/operator-desk.js';
import { createClockWatch, startTimeline, type RunTimeline } from '../../src/engine/run-timeline.js';
import type { Redactor } from '../../src/redact.js';
import type { JournalEvent } from '../../src/evidence/journal-events.js';
import type { Clock } from '../../src/engine/clock.js';

/** Per attempt: how long it takes (simulated) and what it reports. */
export interface ScriptedAttempt {
  ms: number;
  exitCode?: number;
  stdout?: string;
  error?: string;
  /** Evidence files to attach: name → content. */
  attach?: Record<string, string>;
}

const captured = (text: string) => ({ text, bytes: Buffer.byteLength(text), truncated: false, sha256: createHash('sha256').update(text).digest('hex') });

export function scriptedRunner(calls: string[]): StepRunner {
  return {
    async run(ctx: AttemptContext): Promise<Observation> {
      calls.push(`${ctx.stepId}#${ctx.attempt}`);
      const script = (ctx.options['attempts'] as ScriptedAttempt[] | undefined) ?? [{ ms: 1000 }];
      const current = script[Math.min(ctx.attempt, script.length) - 1] ?? { ms: 1000 };
      try {
        await ctx.clock.sleep(current.ms, ctx.signal);
      } catch {
        return { exitCode: 143, signal: 'SIGTERM' };
      }
      for (const [name, content] of Object.entries(current.attach ?? {})) ctx.attach?.(name).end(content);
      if (current.error) return { error: { code: 'SCRIPTED', message: current.error } };
      return { exitCode: current.exitCode ?? 0, stdout: captured(current.stdout ?? '') };
    },
  };
}

export function scriptedCatalog(calls: string[]): RunnerCatalog {
  const runner = scriptedRunner(calls);
  return {
    script: {
      name: 'script',
      summary: 'scripted test runner',
      options: z.object({}).passthrough(),
      run: 'optional',
      targetKinds: [],
      expects: ['exitCode', 'stdout'],
      load: () => Promise.resolve(runner),
    },
  };
}

export function step(id: string, attempts: ScriptedAttempt[] = [{ ms: 1000 }], extra: Partial<Step> = {}): Step {
  return {
    type: 'step',
    id,
    phase: 'steps',
    uses: 'script',
    with: { attempts },
    timeoutMs: 60_000,
    retry: { attempts: 1, backoffMs: 0 },
    outputs: {},
    marks: [],
    continueOnError: false,
    background: false,
    idempotent: false,
    ...extra,
  };
}

export function group(id: string, parallel: Step[], failFast = true): GroupStep {
  return { type: 'group', id, phase: 'steps', failFast, parallel };
}

export function scenario(parts: Partial<Scenario>): Scenario {
  const withPhase = <T extends { phase: string }>(list: T[] | undefined, phase: Scenario['steps'][number]['phase']): T[] =>
    (list ?? []).map((s) => {
      const item = { ...s, phase } as T & { parallel?: Step[] };
      if (item.parallel) item.parallel = item.parallel.map((c) => ({ ...c, phase }));
      return item;
    });
  return {
    version: 1,
    kind: 'drill',
    id: 'engine-test',
    title: 'engine test',
    owner: 'tests',
    timezone: 'UTC',
    defaults: { timeoutMs: 600_000, logLimitBytes: 64 * 1024 * 1024 },
    objectives: {},
    controls: [],
    vars: {},
    secrets: {},
    targets: {},
    source: { file: '/dev/null', dir: tmpdir(), sha256: '0'.repeat(64) },
    ...parts,
    preconditions: withPhase(parts.preconditions, 'preconditions'),
    steps: withPhase(parts.steps, 'steps'),
    cleanup: withPhase(parts.cleanup, 'cleanup'),
  };
}

export interface SimulatedRun {
  handle: DrillHandle;
  /** The bundle folder. */
  dir: string;
  clock: SimulatedClock;
  calls: string[];
  events: JournalEvent[];
  record: () => Promise<RunRecord>;
}

export interface TestDrillOptions extends Partial<Omit<StartDrillOptions, 'journal' | 'timeline' | 'clock' | 'bundleDir' | 'desk'>> {
  bundleDir: string;
  clock: Clock;
  runners: StartDrillOptions['runners'];
  onEvent?: (event: JournalEvent) => void;
  /** The desk manual steps ask at, made on the drill's journal. */
  desk?: (journal: JournalWriter, timeline: RunTimeline, redactor: Redactor) => OperatorDesk;
}

/** A drill as the pipeline starts it: a journal opened with its run.started, then the machine. */
export function startTestDrill(s: Scenario, options: TestDrillOptions): DrillHandle {
  const secrets = options.secrets ?? {};
  const redactor = options.redactor ?? createRedactor(Object.values(secrets));
  const timeline = startTimeline(options.clock);
  const journal = createJournalWriter(createJournal(join(options.bundleDir, 'journal.jsonl')), {
    redactor,
    nowIso: () => timeline.iso(timeline.t()),
    clockWatch: { check: createClockWatch(timeline), t: () => timeline.t(), wallIso: () => timeline.wallIso() },
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
  journal.write('run.started', {
    runId: 'run-1',
    scenarioId: s.id,
    scenarioFile: 'scenario.yaml',
    scenarioSha256: s.source.sha256,
    operator: 'tester',
    host: 'test-host',
    pid: process.pid,
    tool: { name: 'drillbook', version: '0.0.0-test', node: process.version, platform: 'test' },
    vars: s.vars,
    t: 0,
  });
  const { desk, ...rest } = options;
  return startDrill(s, {
    host: 'test-host',
    log: pino({ level: 'silent' }),
    ...rest,
    secrets,
    redactor,
    journal,
    timeline,
    ...(desk ? { desk: desk(journal, timeline, redactor) } : {}),
  });
}

/** A bundle folder for one test, removed when the test is over. */
export function tempBundle(prefix = 'drillbook-engine-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function simulate(s: Scenario, options: { secrets?: Record<string, string>; confirm?: () => Promise<boolean> } = {}): SimulatedRun {
  const dir = tempBundle();
  const clock = new SimulatedClock();
  const calls: string[] = [];
  const events: JournalEvent[] = [];
  const handle = startTestDrill(s, {
    bundleDir: dir,
    runners: scriptedCatalog(calls),
    clock,
    secrets: options.secrets ?? {},
    onEvent: (e) => events.push(e),
    ...(options.confirm ? { confirm: options.confirm } : {}),
  });
  return { handle, dir, clock, calls, events, record: () => clock.run(handle.done) };
}
