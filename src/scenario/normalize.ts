/**
 * Written scenario → normalised `Scenario`: every piece checked against schema.ts (check.ts reports),
 * defaults applied in one place. What did not pass is left out or given a placeholder and remembered,
 * so that the rules still see everything else and stay quiet about what is already reported.
 */
import { normalizeApprovers } from './approvers.js';
import { checkEntries, checkFields, checkKind, checkValue, isMapping } from './check-value.js';
import { parseDuration } from './duration.js';
import { parseSize } from './size.js';
import { defaultExitPlan, normalizeExitPlan } from './exit-plan.js';
import type { ExitSites } from './exit-plan.js';
import { at, describeValue } from './issues.js';
import type { IssueSink, Path } from './issues.js';
import {
  allowEnvSchema,
  groupShape,
  nameSchema,
  objectivesSchema,
  outputKindSchemas,
  scenarioShape,
  secretKindSchemas,
  splitRpoFrom,
  stepShape,
  checkShape,
  varValueSchema,
} from './schema.js';
import { targetKindSchemas, targetKinds } from './targets.js';
import { parseTemplate } from './template.js';
import type { TargetKind } from './targets.js';
import type { Expectation, GroupStep, Objectives, OutputSpec, Phase, Scenario, SecretSource, Step, StepOrGroup, Target } from './types.js';
import { checkStepId } from './types.js';
import { normalizeWindow } from './window.js';

/** Defaults of format v1, in one place. */
export const scenarioDefaults = {
  timeoutMs: 10 * 60_000,
  logLimitBytes: 64 * 1024 * 1024,
  retry: { attempts: 1, backoffMs: 0 },
  timezone: 'UTC',
  failFast: true,
} as const;

/** Where a step or group was written, and what of it did not pass. */
export interface StepSite {
  path: Path;
  phase: Phase;
  /** Index of the top-level item (step or group) in its list: the order steps run in. */
  order: number;
  /** The group a step belongs to. */
  group?: GroupStep;
  /** Keys that were written but did not pass (the rules leave them alone). */
  bad: ReadonlySet<string>;
  /** The mapping as written. */
  raw: Readonly<Record<string, unknown>>;
  /** For a step's `check`: the step it checks, whose runner and target it takes when it names none. */
  checks?: Step;
}

export interface Draft {
  /** Complete only when no issue was reported; otherwise good enough for the rules. */
  scenario: Scenario;
  sites: Map<Step | GroupStep, StepSite>;
  /** Names written under each section (also those whose values did not pass); undefined: unreadable. */
  declared: { vars?: ReadonlySet<string>; secrets?: ReadonlySet<string>; targets?: ReadonlySet<string> };
  /** Parsed target options by name, for kinds that refer to secrets. */
  targetOptions: Map<string, { kind: TargetKind; options: unknown }>;
  /** Step ids that were written but could not be used (bad ids, unreadable items): never "unknown". */
  looseIds: ReadonlySet<string>;
  /** Where `exit:` was written, for the rules. */
  exitSites: ExitSites;
}

const listKeys = ['preconditions', 'steps', 'cleanup'] as const;

/** Plain objects all the way down (the YAML reader makes null-prototype ones): the engine may call any object method. */
function toPlain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toPlain);
  if (isMapping(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, toPlain(item)]));
  return value;
}

function durationMs(text: string | undefined): number | undefined {
  return text === undefined ? undefined : parseDuration(text);
}

function sizeBytes(text: string | undefined): number | undefined {
  return text === undefined ? undefined : parseSize(text);
}

interface Walk {
  sink: IssueSink;
  sites: Map<Step | GroupStep, StepSite>;
  looseIds: Set<string>;
  defaultTimeoutMs: number;
}

function looseId(raw: unknown, walk: Walk): void {
  if (isMapping(raw) && typeof raw.id === 'string') walk.looseIds.add(raw.id);
}

function normalizeExpect(expect: NonNullable<Fields['expect']>): Expectation {
  const result: Expectation = {};
  if (expect.exitCode !== undefined) result.exitCode = Array.isArray(expect.exitCode) ? expect.exitCode : [expect.exitCode];
  if (expect.status !== undefined) result.status = Array.isArray(expect.status) ? expect.status : [expect.status];
  if (expect.stdout !== undefined) result.stdout = expect.stdout;
  if (expect.stderr !== undefined) result.stderr = expect.stderr;
  if (expect.body !== undefined) result.body = expect.body;
  return result;
}

type Fields = NonNullable<ReturnType<typeof checkFields<typeof stepShape>>>['values'];

function normalizeStep(raw: unknown, path: Path, phase: Phase, order: number, walk: Walk, group?: GroupStep): Step | undefined {
  const fields = checkFields(stepShape, raw, path, walk.sink, ['outputs', 'check'], 'a step (a mapping with id and uses)');
  if (!fields) return undefined;
  const { values: v, bad } = fields;
  const outputs: Record<string, OutputSpec> = {};
  if (Object.hasOwn(fields.raw, 'outputs')) {
    const checked = checkEntries(fields.raw.outputs, [...path, 'outputs'], walk.sink, nameSchema, (entry, entryPath) =>
      checkKind(outputKindSchemas, entry, entryPath, walk.sink, { code: 'bad-output', hint: 'write { stdout: REGEX } or { json: POINTER }' }),
    );
    if (!checked || checked.entries.size !== checked.written.size) bad.add('outputs');
    for (const [name, spec] of checked?.entries ?? []) outputs[name] = (spec.kind === 'stdout' ? { stdout: spec.value } : { json: spec.value }) as OutputSpec;
  }
  if (v.id === undefined) looseId(raw, walk);
  // Keys in the order of types.ts, optional ones only when written.
  const step: Step = {
    type: 'step',
    id: v.id ?? '',
    ...(v.name !== undefined && { name: v.name }),
    phase,
    uses: v.uses ?? '',
    ...(v.on !== undefined && { on: v.on }),
    ...(v.run !== undefined && { run: v.run }),
    with: toPlain(v.with ?? {}) as Record<string, unknown>,
    timeoutMs: durationMs(v.timeout) ?? walk.defaultTimeoutMs,
    retry: {
      attempts: v.retry?.attempts ?? scenarioDefaults.retry.attempts,
      backoffMs: durationMs(v.retry?.backoff) ?? scenarioDefaults.retry.backoffMs,
    },
    ...(v.expect !== undefined && { expect: normalizeExpect(v.expect) }),
    outputs,
    marks: v.marks === undefined ? [] : Array.isArray(v.marks) ? v.marks : [v.marks],
    continueOnError: v.continueOnError ?? false,
    background: v.background ?? false,
    idempotent: v.idempotent ?? false,
    ...(v.until !== undefined && { until: v.until }),
    ...(v.inheritEnv !== undefined && { inheritEnv: v.inheritEnv }),
  };
  const site: StepSite = { path, phase, order, bad, raw: fields.raw };
  if (group) site.group = group;
  walk.sites.set(step, site);
  if (Object.hasOwn(fields.raw, 'check')) {
    const check = normalizeCheck(fields.raw.check, [...path, 'check'], step, site, walk);
    if (check) step.check = check;
    else bad.add('check');
  }
  return step;
}

/** A step's `check`: a step of its own that takes the step's runner, target and environment unless it names them. */
function normalizeCheck(raw: unknown, path: Path, step: Step, stepSite: StepSite, walk: Walk): Step | undefined {
  const fields = checkFields(checkShape, raw, path, walk.sink, [], 'a check (a mapping with run or with)');
  if (!fields) return undefined;
  const { values: v, bad } = fields;
  // Another runner does not take the step's target along.
  const on = v.on ?? (v.uses === undefined || v.uses === step.uses ? step.on : undefined);
  const check: Step = {
    type: 'step',
    id: checkStepId(step.id),
    phase: step.phase,
    uses: v.uses ?? step.uses,
    ...(on !== undefined && { on }),
    ...(v.run !== undefined && { run: v.run }),
    with: toPlain(v.with ?? {}) as Record<string, unknown>,
    timeoutMs: durationMs(v.timeout) ?? walk.defaultTimeoutMs,
    retry: { attempts: 1, backoffMs: 0 },
    ...(v.expect !== undefined && { expect: normalizeExpect(v.expect) }),
    outputs: {},
    marks: [],
    continueOnError: false,
    background: false,
    idempotent: false,
    ...(step.inheritEnv !== undefined && { inheritEnv: step.inheritEnv }),
  };
  const site: StepSite = { path, phase: stepSite.phase, order: stepSite.order, bad, raw: fields.raw, checks: step };
  if (stepSite.group) site.group = stepSite.group;
  walk.sites.set(check, site);
  return check;
}

function normalizeGroup(raw: Record<string, unknown>, path: Path, phase: Phase, order: number, walk: Walk): GroupStep | undefined {
  const fields = checkFields(groupShape, raw, path, walk.sink, ['parallel']);
  if (!fields) return undefined;
  if (fields.values.id === undefined) looseId(raw, walk);
  const { id, name, failFast } = fields.values;
  const group: GroupStep = { type: 'group', id: id ?? '', ...(name !== undefined && { name }), phase, failFast: failFast ?? scenarioDefaults.failFast, parallel: [] };
  walk.sites.set(group, { path, phase, order, bad: fields.bad, raw });
  const members = raw.parallel;
  const membersPath = [...path, 'parallel'];
  if (!Array.isArray(members)) {
    walk.sink.report(
      { code: 'wrong-type', message: at(membersPath, `expected a list of steps, got ${describeValue(members)}`) },
      { path: membersPath },
    );
    return group;
  }
  if (members.length === 0) {
    walk.sink.report(
      { code: 'empty-group', message: at(membersPath, 'a group needs at least one step'), hint: 'list its steps under parallel:, or remove the group' },
      { path: membersPath },
    );
  }
  members.forEach((member, index) => {
    const memberPath = [...membersPath, index];
    if (isMapping(member) && Object.hasOwn(member, 'parallel')) {
      looseId(member, walk);
      walk.sink.report(
        { code: 'nested-group', message: at(memberPath, 'groups cannot be nested'), hint: 'list the inner steps in this group, or make them a group of their own before or after it' },
        { path: [...memberPath, 'parallel'], at: 'key' },
      );
      return;
    }
    const step = normalizeStep(member, memberPath, phase, order, walk, group);
    if (step) group.parallel.push(step);
  });
  return group;
}

function normalizeList(value: unknown, phase: Phase, walk: Walk): StepOrGroup[] {
  const path = [phase];
  if (!Array.isArray(value)) {
    checkValue(scenarioShape[phase], value, path, walk.sink);
    return [];
  }
  if (phase === 'steps' && value.length === 0) checkValue(scenarioShape.steps, value, path, walk.sink);
  const list: StepOrGroup[] = [];
  value.forEach((item, index) => {
    const itemPath = [...path, index];
    const entry = isMapping(item) && Object.hasOwn(item, 'parallel') ? normalizeGroup(item, itemPath, phase, index, walk) : normalizeStep(item, itemPath, phase, index, walk);
    if (entry) list.push(entry);
  });
  return list;
}

/** Check and normalise the data of one scenario file. `source` is filled by the caller. */
/**
 * Target options may use `${{ vars.NAME }}` (the file's values and `--var`): filled in before the target is
 * checked, so the checks and their positions apply to the value it will have. Anything else there (secrets,
 * step outputs, marks) has no value yet and is refused.
 */
function fillTargetTemplates(value: unknown, path: Path, vars: Readonly<Record<string, string>>, sink: IssueSink): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${{')) return value;
    const { parts, problems } = parseTemplate(value);
    for (const problem of problems) sink.report({ code: 'bad-template', message: at(path, problem.message) }, { path });
    let out = '';
    let failed = problems.length > 0;
    for (const part of parts) {
      if ('literal' in part) out += part.literal;
      else if (part.ref.scope !== 'vars') {
        failed = true;
        sink.report(
          { code: 'bad-template', message: at(path, `${part.raw}: targets take only \${{ vars.NAME }}`), hint: 'secrets are named by the target option meant for them (passphraseSecret, accessKeySecret …)' },
          { path },
        );
      } else if (vars[part.ref.name] === undefined) {
        failed = true;
        sink.report({ code: 'undeclared-var', message: at(path, `${part.raw}: no var "${part.ref.name}" is declared`), hint: 'declare it under vars: with a default value' }, { path });
      } else out += vars[part.ref.name];
    }
    // A value that could not be filled is left out: its problem is reported once, not again by the checks.
    return failed ? undefined : out;
  }
  if (Array.isArray(value)) return value.map((item, index) => fillTargetTemplates(item, [...path, index], vars, sink));
  if (isMapping(value)) {
    return Object.fromEntries(
      Object.entries(value).flatMap(([key, item]) => {
        const filled = fillTargetTemplates(item, [...path, key], vars, sink);
        return filled === undefined && item !== undefined ? [] : [[key, filled]];
      }),
    );
  }
  return value;
}

export function normalizeScenario(value: Record<string, unknown>, source: Scenario['source'], sink: IssueSink, varOverrides: Readonly<Record<string, string>> = {}): Draft {
  const top = checkFields(scenarioShape, value, [], sink, ['objectives', 'exit', 'vars', 'secrets', 'allowEnv', 'targets', 'window', ...listKeys]);
  // checkFields only fails on a non-mapping, which load.ts has already excluded.
  const v = top?.values ?? {};
  const raw = top?.raw ?? {};

  const declared: Draft['declared'] = {};
  const vars: Record<string, string> = {};
  if (Object.hasOwn(raw, 'vars')) {
    const checked = checkEntries(raw.vars, ['vars'], sink, nameSchema, (entry, path) => checkValue(varValueSchema, entry, path, sink));
    if (checked) declared.vars = checked.written;
    for (const [name, text] of checked?.entries ?? []) vars[name] = text;
  } else declared.vars = new Set();

  const secrets: Record<string, SecretSource> = {};
  if (Object.hasOwn(raw, 'secrets')) {
    const checked = checkEntries(raw.secrets, ['secrets'], sink, nameSchema, (entry, path) =>
      checkKind(secretKindSchemas, entry, path, sink, { code: 'bad-secret', hint: 'write { env: NAME } or { file: path/relative/to/this/file }' }),
    );
    if (checked) declared.secrets = checked.written;
    for (const [name, spec] of checked?.entries ?? []) secrets[name] = (spec.kind === 'env' ? { env: spec.value } : { file: spec.value }) as SecretSource;
  } else declared.secrets = new Set();

  // Name by name: one misspelt entry must not make the steps setting the others look unallowed.
  let allowEnv: string[] | undefined;
  if (Object.hasOwn(raw, 'allowEnv')) {
    allowEnv = checkValue(allowEnvSchema, raw.allowEnv, ['allowEnv'], sink);
    if (allowEnv === undefined && Array.isArray(raw.allowEnv)) {
      allowEnv = raw.allowEnv.filter((name): name is string => allowEnvSchema.element.safeParse(name).success);
    }
  }

  const byName = new Map<string, Target>();
  const targetOptions = new Map<string, { kind: TargetKind; options: unknown }>();
  const targets: Record<string, Target> = {};
  if (Object.hasOwn(raw, 'targets')) {
    const kinds = Object.keys(targetKindSchemas).map((kind) => `{ ${kind}: … }`);
    const filled = fillTargetTemplates(raw.targets, ['targets'], { ...vars, ...varOverrides }, sink);
    const checked = checkEntries(filled, ['targets'], sink, nameSchema, (entry, path) =>
      checkKind(targetKindSchemas, entry, path, sink, { code: 'bad-target', hint: `a target is exactly one of ${kinds.join(', ')}` }),
    );
    if (checked) declared.targets = checked.written;
    const entries = [...(checked?.entries ?? [])];
    for (const [kindName, kind] of Object.entries(targetKinds as Record<string, TargetKind>)) {
      const own = Object.fromEntries(entries.filter(([, spec]) => spec.kind === kindName).map(([name, spec]) => [name, spec.value]));
      let options: Record<string, unknown> = own;
      if (kind.link) {
        const others = entries.filter(([, spec]) => spec.kind !== kindName).map(([name]) => name);
        const linked = kind.link(own, others);
        options = linked.targets;
        for (const problem of linked.problems) {
          sink.report({ code: 'bad-target', message: at(['targets', problem.target], problem.message) }, { path: ['targets', problem.target, kindName] });
        }
      }
      for (const [name, value] of Object.entries(options)) {
        byName.set(name, kind.normalize(name, value));
        targetOptions.set(name, { kind, options: value });
      }
    }
    // Declaration order, whatever the kind.
    for (const [name] of entries) {
      const target = byName.get(name);
      if (target) targets[name] = target;
    }
  } else declared.targets = new Set();

  const walk: Walk = { sink, sites: new Map(), looseIds: new Set(), defaultTimeoutMs: durationMs(v.defaults?.timeout) ?? scenarioDefaults.timeoutMs };
  const lists = { preconditions: [] as StepOrGroup[], steps: [] as StepOrGroup[], cleanup: [] as StepOrGroup[] };
  for (const phase of listKeys) {
    if (Object.hasOwn(raw, phase)) lists[phase] = normalizeList(raw[phase], phase, walk);
  }

  // Key by key, so that a bad rpoFrom does not hide the RTO from the mark rules.
  const written = Object.hasOwn(raw, 'objectives') ? checkFields(objectivesSchema.shape, raw.objectives, ['objectives'], sink)?.values : undefined;
  const rtoMs = durationMs(written?.rto);
  const rpoMs = durationMs(written?.rpo);
  const exitPeriodMs = durationMs(written?.exitPeriod);
  const rpoFrom = written?.rpoFrom === undefined ? undefined : splitRpoFrom(written.rpoFrom);
  const objectives: Objectives = {
    ...(rtoMs !== undefined && { rtoMs }),
    ...(rpoMs !== undefined && { rpoMs }),
    ...(exitPeriodMs !== undefined && { exitPeriodMs }),
    ...(rpoFrom !== undefined && { rpoFrom }),
  };

  // A kind: exit scenario always has a plan (the defaults when `exit:` is absent); other kinds never.
  const exit = Object.hasOwn(raw, 'exit') ? normalizeExitPlan(raw.exit, v.kind, sink) : { written: new Set<string>(), reimport: [], ...(v.kind === 'exit' && { plan: defaultExitPlan() }) };

  const cadenceMs = durationMs(v.cadence);
  const window = Object.hasOwn(raw, 'window') ? normalizeWindow(raw.window, sink) : undefined;
  const deadlineMs = durationMs(v.deadline);
  const scenario: Scenario = {
    version: 1,
    kind: v.kind ?? 'drill',
    id: v.id ?? '',
    title: v.title ?? '',
    owner: v.owner ?? '',
    ...(v.description !== undefined && { description: v.description }),
    ...(v.environment !== undefined && { environment: v.environment }),
    ...(v.approval !== undefined && {
      approval: v.approval === 'none' ? 'none' : { ...normalizeApprovers(v.approval.approvers), quorum: v.approval.quorum ?? 1, timeoutMs: durationMs(v.approval.timeout) ?? 3_600_000 },
    }),
    ...(cadenceMs !== undefined && { cadenceMs }),
    ...(v.schedule !== undefined && { schedule: v.schedule }),
    timezone: v.timezone ?? scenarioDefaults.timezone,
    ...(window !== undefined && { window }),
    ...(deadlineMs !== undefined && { deadlineMs }),
    defaults: { timeoutMs: walk.defaultTimeoutMs, logLimitBytes: sizeBytes(v.defaults?.logLimit) ?? scenarioDefaults.logLimitBytes },
    objectives,
    ...(exit.plan !== undefined && { exit: exit.plan }),
    controls: v.controls ?? [],
    vars,
    secrets,
    ...(allowEnv !== undefined && { allowEnv }),
    ...(v.inheritEnv !== undefined && { inheritEnv: v.inheritEnv }),
    targets,
    preconditions: lists.preconditions,
    steps: lists.steps,
    cleanup: lists.cleanup,
    source,
  };

  return { scenario, sites: walk.sites, declared, targetOptions, looseIds: walk.looseIds, exitSites: { written: exit.written, reimport: exit.reimport } };
}
