/** A normalised, validated scenario: what the compiler and engine consume. Plain data only. */
import type { Approvers } from './approvers.js';

export type { Approvers } from './approvers.js';

export const scenarioKinds = ['drill', 'restore', 'exit'] as const;
export type ScenarioKind = (typeof scenarioKinds)[number];

export const markNames = ['t0', 'recovered'] as const;
export type Mark = (typeof markNames)[number];

/**
 * The part a runner plays in an exit: `export` takes data out of the provider (its throughput is the sample
 * the exit projection rests on; it reports export or dump facts), `reimport` puts it into a neutral target.
 */
export type RunnerRole = 'export' | 'reimport';

export const phases = ['preconditions', 'steps', 'cleanup'] as const;
export type Phase = (typeof phases)[number];

/** Where a value came from in the YAML file (1-based line and column). */
export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

/** Days of the week as `window.hours` writes them; index = `Date#getUTCDay()` order (0 = Sunday). */
export const weekdayNames = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof weekdayNames)[number];

/** Minutes after local midnight; `endMinute <= startMinute` means the range ends the next day. */
export interface TimeRange {
  startMinute: number;
  endMinute: number;
}

/** A local date range (inclusive, `YYYY-MM-DD` in the scenario time zone) when no run may start. */
export interface Blackout {
  from: string;
  to: string;
  reason?: string;
}

/** When runs may start, in the scenario time zone. */
export interface RunWindow {
  /** Allowed start times by weekday (every day present; empty: not that day). Absent: any time. */
  hours?: Record<Weekday, TimeRange[]>;
  blackout: Blackout[];
}

export interface Objectives {
  rtoMs?: number;
  rpoMs?: number;
  exitPeriodMs?: number;
  /** `<step-id>.<output>` whose value is a duration or milliseconds. */
  rpoFrom?: { stepId: string; output: string };
}

/** Items of the exit-readiness checklist, in the order a report lists them. */
export const exitChecks = ['complete', 'integral', 'open-formats', 'metadata', 'reimport', 'within-period', 'cost'] as const;
export type ExitCheck = (typeof exitChecks)[number];

/** What an `exit` scenario declares about the exit it rehearses (`exit:`). */
export interface ExitPlan {
  /** Formats that count as open (ids from src/exit-readiness/format-ids.ts); anything else exported is a finding. */
  openFormats: string[];
  /** Total data the contract covers, in bytes; absent: the volume the export steps listed. */
  dataVolumeBytes?: number;
  /** Price of egress per GB (10^9 bytes), and its currency (ISO 4217). */
  egressPricePerGB?: number;
  currency?: string;
  /** An estimated egress cost above this misses the `cost` item. */
  maxCost?: number;
  /** Steps whose passing proves the re-import on a neutral target (restore, `s3.import`, reconciliation). */
  reimportSteps: string[];
  /** Items that must be covered by this run (default: all but `cost`); one not covered makes the verdict INCONCLUSIVE. */
  required: ExitCheck[];
}

export type SecretSource = { env: string } | { file: string };

export type Target =
  | { name: string; kind: 'local' }
  | { name: string; kind: 'http'; baseUrl: string }
  | { name: string; kind: string; options: Record<string, unknown> };

export interface Expectation {
  exitCode?: number[];
  stdout?: string;
  stderr?: string;
  status?: number[];
  body?: string;
}

export type OutputSpec = { stdout: string } | { json: string };

export interface StepRetry {
  /** Total attempts, including the first. */
  attempts: number;
  backoffMs: number;
}

export interface Step {
  type: 'step';
  id: string;
  name?: string;
  phase: Phase;
  uses: string;
  /** The part the step's runner plays in an exit (its definition's `role`). */
  role?: RunnerRole;
  on?: string;
  /** Argument array with `${{ … }}` templates still unresolved. */
  run?: string[];
  with: Record<string, unknown>;
  timeoutMs: number;
  retry: StepRetry;
  expect?: Expectation;
  outputs: Record<string, OutputSpec>;
  marks: Mark[];
  continueOnError: boolean;
  background: boolean;
  /** Safe to run again: `resume` retries it when a crash cut it short (restarts it, for a background step). */
  idempotent: boolean;
  /**
   * Tells `drillbook resume` whether the step, cut short by a crash, already did its work: passed, it did (the
   * step is closed as passed); failed on its expectation, it did not (the step runs again). A step of its own,
   * id {@link checkStepId}, never run but by resume.
   */
  check?: Step;
  /** For background steps: the mark at which the step is stopped (normal end). */
  until?: Mark;
  /** Variables of drillbook's environment this step's local processes also get (see engine/step-environment.ts). */
  inheritEnv?: string[];
}

/** Who approves the run before its steps: key files and roles as written (relative to the scenario folder). */
export interface Approval extends Approvers {
  quorum: number;
  timeoutMs: number;
}

export interface GroupStep {
  type: 'group';
  id: string;
  name?: string;
  phase: Phase;
  failFast: boolean;
  parallel: Step[];
}

export type StepOrGroup = Step | GroupStep;

export interface Scenario {
  version: 1;
  kind: ScenarioKind;
  id: string;
  title: string;
  owner: string;
  description?: string;
  environment?: string;
  /** Signed approvals the run waits for before its steps; `none`: explicitly without (production). */
  approval?: Approval | 'none';
  cadenceMs?: number;
  schedule?: string;
  timezone: string;
  /** When scheduled runs (`run-due`, `schedule`) may start; `drillbook run` ignores it. */
  window?: RunWindow;
  deadlineMs?: number;
  /** `logLimitBytes`: bytes of each output stream of an attempt stored in the bundle. */
  defaults: { timeoutMs: number; logLimitBytes: number };
  objectives: Objectives;
  /** Only for `kind: exit`. */
  exit?: ExitPlan;
  controls: string[];
  vars: Record<string, string>;
  secrets: Record<string, SecretSource>;
  /** Variables that change how programs load or run (LD_PRELOAD, PATH …) which steps may set; absent: none. */
  allowEnv?: string[];
  /** Variables of drillbook's environment every step's local processes also get. */
  inheritEnv?: string[];
  targets: Record<string, Target>;
  preconditions: StepOrGroup[];
  steps: StepOrGroup[];
  cleanup: StepOrGroup[];
  /** Absolute path of the scenario file, its directory and the SHA-256 of its bytes. */
  source: { file: string; dir: string; sha256: string };
}

/** Every leaf step of a list, groups flattened, in document order. */
export function leafSteps(list: readonly StepOrGroup[]): Step[] {
  return list.flatMap((s) => (s.type === 'group' ? s.parallel : [s]));
}

export function allSteps(scenario: Pick<Scenario, 'preconditions' | 'steps' | 'cleanup'>): Step[] {
  return [...leafSteps(scenario.preconditions), ...leafSteps(scenario.steps), ...leafSteps(scenario.cleanup)];
}

/** The id a step's `check` runs under in the journal: a dot never occurs in a written id. */
export const checkStepId = (stepId: string): string => `${stepId}.check`;

/** Every step that may run, the checks resume may run included. */
export function runnableSteps(scenario: Pick<Scenario, 'preconditions' | 'steps' | 'cleanup'>): Step[] {
  return allSteps(scenario).flatMap((step) => (step.check ? [step, step.check] : [step]));
}
