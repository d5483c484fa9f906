/**
 * The written scenario format v1 as zod schemas: the one source of both validation (check.ts walks these
 * pieces) and the JSON Schema editors use (json-schema.ts). Value-level checks that need no context
 * (regexes compile, cron text, time zones) live here; checks across the document live in rules.ts.
 */
import { Cron } from 'croner';
import { z } from 'zod';
import { formatIds } from '../exit-readiness/format-ids.js';
import { approversSchema, quorumTooLarge } from './approvers.js';
import { parseDuration } from './duration.js';
import { note, notes, suggestionHint } from './issues.js';
import { findProgramEnv, programEnvNames } from './program-env.js';
import { parseSize, sizePattern } from './size.js';
import { targetKinds, targetKindSchemas } from './targets.js';
import type { TargetKind } from './targets.js';
import { exitChecks, markNames, scenarioKinds } from './types.js';

/** Metadata for the JSON Schema: `id` makes a `$defs` entry, `description` shows in editors. */
export const jsonMeta = z.registry<{ id?: string; title?: string; description?: string }>();

/** A copy of `schema` with its own description: shared schemas keep their `$defs` entry and their note. */
function describe<T extends z.ZodType>(schema: T, description: string): T {
  const copy = schema.clone();
  const known = notes.get(schema);
  if (known) notes.set(copy, known);
  jsonMeta.add(copy, { description });
  return copy;
}

function define<T extends z.ZodType>(schema: T, id: string, description: string): T {
  jsonMeta.add(schema, { id, description });
  return schema;
}

for (const kind of Object.values(targetKinds as Record<string, TargetKind>)) {
  for (const [id, schema] of Object.entries(kind.jsonDefs ?? {})) jsonMeta.add(schema, { id });
}

// Same grammar as parseDuration, written so that the empty string does not match (JSON Schema `pattern`).
export const durationPattern = /^(?=\d)(?:\d+d)?(?:\d+h)?(?:\d+m(?!s))?(?:\d+s)?(?:\d+ms)?$/;
export const slugPattern = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
/**
 * Names of vars, secrets, targets and outputs: what template.ts accepts after `vars.`, `secrets.` …,
 * except `__proto__`, which would not survive as a key of a plain object.
 */
export const namePattern = /^(?!__proto__$)[A-Za-z_][A-Za-z0-9_-]*$/;
const envNamePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;
// A JSON Pointer (RFC 6901): empty, or `/`-separated tokens where `~` is only `~0` or `~1`.
const jsonPointerPattern = /^(?:\/(?:[^~/]|~[01])*)*$/;
const rpoFromPattern = /^([a-z][a-z0-9]*(?:-[a-z0-9]+)*)\.([A-Za-z_][A-Za-z0-9_-]*)$/;

const durationHint = 'write a number and a unit: 500ms, 90s, 15m, 2h, 90d, or a combination such as 1h30m';

export const durationSchema = define(
  note(
    z
      .string()
      .regex(durationPattern)
      // The pattern cannot bound the total; parseDuration refuses what is not a safe integer.
      .refine((text) => !durationPattern.test(text) || parseDuration(text) !== undefined, { message: 'is too long a duration' }),
    { code: 'bad-duration', expected: 'a duration', hint: durationHint },
  ),
  'duration',
  'A duration: 500ms, 90s, 15m, 2h, 90d, or combined such as 1h30m.',
);

export const slugSchema = define(
  note(z.string().max(64).regex(slugPattern), {
    code: 'bad-id',
    expected: 'a lowercase slug',
    hint: 'use lowercase letters, digits and single hyphens, starting with a letter (e.g. pg-failover)',
  }),
  'slug',
  'A lowercase slug: letters, digits and single hyphens, starting with a letter.',
);

export const nameSchema = define(
  note(z.string().regex(namePattern), {
    code: 'bad-name',
    expected: 'a name',
    hint: 'names start with a letter or _ and go on with letters, digits, _ or -',
  }),
  'name',
  'A name usable in templates: a letter or _, then letters, digits, _ or -.',
);

const text = note(z.string().min(1), { expected: 'a non-empty string' });

/** A JavaScript regular expression, checked by compiling it. */
const regexSchema = note(
  z.string().superRefine((source, ctx) => {
    const problem = regexProblem(source);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `invalid regular expression: ${problem}`, params: { code: 'bad-regex' } });
  }),
  { code: 'bad-regex', expected: 'a regular expression' },
);

export function regexProblem(source: string): string | undefined {
  try {
    new RegExp(source);
    return undefined;
  } catch (error) {
    // "Invalid regular expression: /(/: Unterminated group" → "Unterminated group"
    const message = error instanceof Error ? error.message : String(error);
    return message.slice(message.lastIndexOf(': ') + 2);
  }
}

/** Capture groups of a regex that compiles (an empty alternative always matches, so exec gives them all). */
export function captureGroups(source: string): number {
  try {
    const match = new RegExp(`${source}|`).exec('');
    return match ? match.length - 1 : 0;
  } catch {
    return 0;
  }
}

const exitCode = z.int().min(0).max(255);
const httpStatus = z.int().min(100).max(599);

function oneOrList<T extends z.ZodType>(item: T, expected: string): z.ZodUnion<[T, z.ZodArray<T>]> {
  return note(z.union([item, z.array(item).min(1)]), { expected });
}

export const markSchema = note(z.enum(markNames), { expected: 'a mark (t0 or recovered)' });

export const expectSchema = define(
  z.strictObject({
    exitCode: describe(oneOrList(exitCode, 'an exit code or a list of exit codes'), 'Exit codes that count as success (default 0).').optional(),
    stdout: describe(regexSchema, 'A regular expression standard output must contain.').optional(),
    stderr: describe(regexSchema, 'A regular expression standard error must contain.').optional(),
    status: describe(oneOrList(httpStatus, 'an HTTP status or a list of statuses'), 'HTTP statuses that count as success.').optional(),
    body: describe(regexSchema, 'A regular expression the response body must contain.').optional(),
  }),
  'expect',
  'What counts as success. Each runner supports some of these keys.',
);

/** `outputs.NAME`: exactly one of these keys. */
export const outputKindSchemas = {
  stdout: note(
    z.string().superRefine((source, ctx) => {
      const problem = regexProblem(source);
      if (problem !== undefined) {
        ctx.addIssue({ code: 'custom', message: `invalid regular expression: ${problem}`, params: { code: 'bad-regex' } });
      } else if (captureGroups(source) !== 1) {
        ctx.addIssue({
          code: 'custom',
          message: `the regular expression has ${captureGroups(source)} capture groups; it needs exactly one`,
          params: { code: 'bad-output', hint: 'the first capture group is the value, e.g. "version (\\\\S+)"; write (?:…) for other groups' },
        });
      }
    }),
    { expected: 'a regular expression with one capture group' },
  ),
  json: note(z.string().regex(jsonPointerPattern), {
    code: 'bad-output',
    expected: 'a JSON Pointer',
    hint: 'a JSON Pointer into stdout parsed as JSON: "" for the whole document, or /key/0/name',
  }),
} as const;

/** `secrets.NAME`: exactly one of these keys. */
export const secretKindSchemas = {
  env: note(z.string().regex(envNamePattern), {
    code: 'bad-secret',
    expected: 'an environment variable name',
    hint: 'letters, digits and _, not starting with a digit',
  }),
  file: note(z.string().min(1), { expected: 'a file path (relative to the scenario file)' }),
} as const;

/** A union of single-key mappings, `{ a: … } | { b: … }`, for the JSON Schema. */
function kindUnion(table: Readonly<Record<string, z.ZodType>>): z.ZodType {
  const options = Object.entries(table).map(([key, schema]) => z.strictObject({ [key]: schema }));
  const [first, ...rest] = options;
  return first === undefined ? z.never() : rest.length === 0 ? first : z.union([first, ...rest]);
}

export const outputSchema = define(
  kindUnion(outputKindSchemas),
  'output',
  'A named value a step produces: { stdout: REGEX } (first capture group) or { json: POINTER } into stdout.',
);
export const secretSchema = define(
  kindUnion(secretKindSchemas),
  'secret',
  'Where a secret comes from: { env: NAME } or { file: path relative to the scenario file }. Never stored.',
);
export const targetSchema = define(
  kindUnion(targetKindSchemas),
  'target',
  'Where steps run: exactly one target kind.',
);

export const retrySchema = z.strictObject({
  attempts: describe(note(z.int().min(1).max(1000), { expected: 'a whole number of attempts' }), 'Total attempts, including the first.'),
  backoff: describe(durationSchema, 'Pause between attempts (default 0).').optional(),
});

/** `run`: an argument array, never a shell string. */
export const runSchema = describe(
  note(z.array(z.string()).min(1), {
    code: 'bad-run',
    expected: 'a list of strings',
    hint: 'write an argument array, e.g. [systemctl, stop, postgresql]',
  }),
  'Argument array; no shell is involved. Templates ${{ … }} are substituted as data.',
);

export const withSchema = describe(
  note(z.record(z.string(), z.unknown()), { expected: 'a mapping of runner options' }),
  "Options of the step's runner; string values may hold templates.",
);

/** `inheritEnv`: variables of drillbook's environment a step's local processes also get. */
export const inheritEnvSchema = note(
  z.array(note(z.string().regex(envNamePattern), { code: 'bad-value', expected: 'an environment variable name', hint: 'letters, digits and _, not starting with a digit' })),
  { expected: 'a list of environment variable names' },
);

/** `check`: what tells resume whether a step cut short by a crash had done its work. */
export const checkShape = {
  uses: describe(text, "The runner (default: the step's).").optional(),
  on: describe(text, "The target (default: the step's).").optional(),
  run: runSchema.optional(),
  with: withSchema.optional(),
  timeout: describe(durationSchema, 'Limit for the check (default: defaults.timeout).').optional(),
  expect: expectSchema.optional(),
};

export const checkSchema = describe(
  z.strictObject(checkShape),
  'Read-only: tells `drillbook resume` whether this step, cut short by a crash, had done its work. Passes: it had (closed as passed); fails its expectation: it had not (run again); anything else: resume ends the run with its cleanup.',
);

export const stepShape = {
  id: describe(slugSchema, 'Unique across preconditions, steps and cleanup.'),
  name: describe(text, 'Human-readable name.').optional(),
  uses: describe(text, 'The runner: local, http, wait …'),
  on: describe(text, 'The target (a key of `targets`) the step acts on.').optional(),
  run: runSchema.optional(),
  with: withSchema.optional(),
  timeout: describe(durationSchema, 'Limit for one attempt (default: defaults.timeout).').optional(),
  retry: describe(retrySchema, 'attempts: total including the first; backoff: fixed pause between attempts.').optional(),
  expect: expectSchema.optional(),
  outputs: describe(z.record(nameSchema, outputSchema), 'Named values later steps read as ${{ steps.ID.outputs.NAME }}.').optional(),
  marks: describe(oneOrList(markSchema, 'a mark or a list of marks'), 't0: disaster declared at the start of this step; recovered: service back at its end.').optional(),
  continueOnError: describe(z.boolean(), 'A failure makes the run PARTIAL instead of FAIL.').optional(),
  background: describe(z.boolean(), 'Start the step and go on; it runs alongside later steps.').optional(),
  idempotent: describe(
    z.boolean(),
    '`drillbook resume` may run this step again when a crash cut it short: running it twice does no harm (a background step is restarted).',
  ).optional(),
  check: checkSchema.optional(),
  until: describe(markSchema, 'For a background step: stop it (normal end) when this mark is reached.').optional(),
  inheritEnv: describe(
    inheritEnvSchema,
    "Variables of drillbook's environment this step's local processes also get, besides PATH, HOME, USER, LOGNAME, LANG, LC_ALL, TZ and TMPDIR.",
  ).optional(),
};

export const stepSchema = define(z.strictObject(stepShape), 'step', 'One step: a runner doing one thing, timed and judged.');

export const groupShape = {
  id: describe(slugSchema, 'Unique across preconditions, steps and cleanup.'),
  name: describe(text, 'Human-readable name.').optional(),
  parallel: describe(z.array(stepSchema).min(1), 'Steps that run at the same time.'),
  failFast: describe(z.boolean(), 'Stop the other steps of the group when one fails (default true).').optional(),
};

export const groupSchema = define(z.strictObject(groupShape), 'group', 'Steps that run in parallel.');

export const stepListSchema = z.array(z.union([stepSchema, groupSchema]));

const timezoneSchema = note(
  z.string().superRefine((zone, ctx) => {
    if (!isTimeZone(zone)) ctx.addIssue({ code: 'custom', message: `unknown time zone "${zone}"`, params: { code: 'bad-timezone' } });
  }),
  { code: 'bad-timezone', expected: 'an IANA time zone', hint: 'an IANA name such as UTC, Europe/Paris or America/New_York' },
);

// Building a DateTimeFormat is slow next to everything else here; zones are few, answers are kept.
const timeZones = new Map<string, boolean>();

export function isTimeZone(zone: string): boolean {
  const known = timeZones.get(zone);
  if (known !== undefined) return known;
  let valid = zone !== '';
  try {
    if (valid) new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    valid = false;
  }
  if (timeZones.size < 1_000) timeZones.set(zone, valid);
  return valid;
}

const scheduleSchema = note(
  z.string().superRefine((pattern, ctx) => {
    const problem = cronProblem(pattern);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `invalid cron expression: ${problem}`, params: { code: 'bad-schedule' } });
  }),
  { code: 'bad-schedule', expected: 'a cron expression', hint: 'five fields, minute hour day-of-month month day-of-week, e.g. "0 3 * * 1"' },
);

export function cronProblem(pattern: string): string | undefined {
  try {
    // Paused and without a callback: parses the pattern, schedules nothing.
    new Cron(pattern, { paused: true }).stop();
    return undefined;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return message.replace(/^CronPattern: /, '');
  }
}

/** `HH:MM-HH:MM`; an end at or before the start ends the next day; `24:00` ends at midnight. */
export const timeRangePattern = /^([01]\d|2[0-3]):([0-5]\d)-(?:([01]\d|2[0-3]):([0-5]\d)|24:00)$/;
/** A day (`mon` … `sun`), a range of days (`mon-fri`, `fri-mon`) or `daily`. */
export const windowDaysPattern = /^(?:daily|(mon|tue|wed|thu|fri|sat|sun)(?:-(mon|tue|wed|thu|fri|sat|sun))?)$/;
export const calendarDatePattern = /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

const timeRangeHint = 'HH:MM-HH:MM in the scenario time zone, e.g. 08:00-18:00, or 22:00-06:00 to end the next morning';

export const timeRangeSchema = note(z.string().regex(timeRangePattern), { code: 'bad-window', expected: 'a time range', hint: timeRangeHint });

export const windowDaysSchema = note(z.string().regex(windowDaysPattern), {
  code: 'bad-window',
  expected: 'a day or a range of days',
  hint: 'mon, tue, wed, thu, fri, sat, sun, a range such as mon-fri, or daily',
});

/** True for a `YYYY-MM-DD` that exists in the calendar (no 30 February). */
export function isCalendarDate(text: string): boolean {
  const match = calendarDatePattern.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

export const calendarDateSchema = note(
  z.string().regex(calendarDatePattern).superRefine((text, ctx) => {
    // The pattern reports other shapes; this catches 30 February and the like.
    if (calendarDatePattern.test(text) && !isCalendarDate(text)) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(text)} is not a date`, params: { code: 'bad-window', hint: 'YYYY-MM-DD, e.g. 2026-12-24' } });
  }),
  { code: 'bad-window', expected: 'a date', hint: 'YYYY-MM-DD, e.g. 2026-12-24' },
);

export const blackoutSchema = note(
  z.union([
    calendarDateSchema,
    z.strictObject({
      from: describe(calendarDateSchema, 'First day of the blackout (local date).'),
      to: describe(calendarDateSchema, 'Last day of the blackout, inclusive (default: from).').optional(),
      reason: describe(text, 'Why, e.g. year-end change freeze.').optional(),
    }),
  ]),
  { code: 'bad-window', expected: 'a date or { from, to, reason }', hint: 'write 2026-12-24, or { from: 2026-12-18, to: 2027-01-04, reason: change freeze }' },
);

export const windowShape = {
  hours: describe(
    z.record(windowDaysSchema, note(oneOrList(timeRangeSchema, ''), { code: 'bad-window', expected: 'a time range or a list of time ranges', hint: timeRangeHint })),
    'Allowed start times by day: mon-fri: "22:00-06:00", sat: [08:00-12:00, 14:00-18:00]. Days not listed are closed; without hours any time is allowed.',
  ).optional(),
  blackout: describe(z.array(blackoutSchema), 'Dates (inclusive, local) when no scheduled run may start, such as change freezes.').optional(),
};

export const windowSchema = define(
  z.strictObject(windowShape),
  'window',
  'When scheduled runs may start, in the scenario time zone: allowed hours by weekday and blackout dates.',
);

export const objectivesSchema = define(
  z.strictObject({
    rto: describe(durationSchema, 'Recovery time objective: start of the t0 step to the end of the recovered step.').optional(),
    rpo: describe(durationSchema, 'Recovery point objective, measured through rpoFrom.').optional(),
    exitPeriod: describe(durationSchema, 'Contractual switching period for an exit.').optional(),
    rpoFrom: describe(
      note(z.string().regex(rpoFromPattern), {
        code: 'bad-rpo-from',
        expected: '<step-id>.<output>',
        hint: 'name a step and one of its outputs, e.g. data-loss.rpo',
      }),
      'The output measuring RPO: <step-id>.<output>, a duration or milliseconds.',
    ).optional(),
  }),
  'objectives',
  'Targets the run is judged against.',
);

const sizeHint = 'a number and a unit: 12TiB, 500 GB, 1.5TB (KiB … EiB are powers of 1024, kB … EB powers of 1000)';

export const sizeSchema = define(
  note(
    z
      .string()
      .regex(sizePattern)
      .superRefine((text, ctx) => {
        // The pattern cannot bound the value; parseSize refuses what is not a safe integer.
        if (!sizePattern.test(text)) return;
        const bytes = parseSize(text);
        if (bytes === undefined) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(text)} is too large a size`, params: { code: 'bad-size' } });
        else if (bytes === 0) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(text)} is no data at all`, params: { code: 'bad-size', hint: 'a size above zero, e.g. 12TiB' } });
      }),
    { code: 'bad-size', expected: 'a size', hint: sizeHint },
  ),
  'size',
  'A data size: 12TiB, 500 GB, 1.5TB. KiB … EiB are powers of 1024, kB … EB powers of 1000.',
);

/** Checked item by item in exit-plan.ts (a did-you-mean instead of the whole list); the enum is for editors. */
export const formatIdSchema = note(z.enum(formatIds), { code: 'unknown-format', expected: 'a format id' });

const currencySchema = note(z.string().regex(/^[A-Z]{3}$/), {
  code: 'bad-value',
  expected: 'an ISO 4217 currency code',
  hint: 'three capital letters, e.g. EUR, USD, GBP or CHF',
});

const amountSchema = note(z.number().nonnegative(), { expected: 'an amount' });

export const exitShape = {
  openFormats: describe(
    z.array(formatIdSchema),
    'Formats that count as open, as drillbook classifies files by content (csv, json, ndjson, pg-dump, pdf …). Any other exported format is a finding. Not declared: the open-formats item is not covered.',
  ).optional(),
  dataVolume: describe(sizeSchema, 'The whole volume the contract covers (12TiB); the projection uses it. Absent: the volume the export steps listed.').optional(),
  egressPricePerGB: describe(amountSchema, 'Egress price per GB (10^9 bytes), in `currency`.').optional(),
  currency: describe(currencySchema, 'ISO 4217 code of the price and of maxCost (EUR, USD); required with a price.').optional(),
  maxCost: describe(amountSchema, 'An estimated egress cost above this misses the cost item; needs egressPricePerGB.').optional(),
  reimport: describe(z.array(slugSchema), 'Ids of the steps (or groups) whose passing proves the re-import on a neutral target.').optional(),
  require: describe(
    note(z.array(note(z.enum(exitChecks), { code: 'bad-value' })), { expected: 'a list of checklist items' }),
    'Checklist items this run must cover; one not covered makes the verdict INCONCLUSIVE. Default: every item but cost.',
  ).optional(),
};

export const exitSchema = define(
  z.strictObject(exitShape),
  'exit',
  'For kind: exit: the formats that count as open, the data volume, the egress price and the steps proving the re-import.',
);

export function splitRpoFrom(value: string): { stepId: string; output: string } | undefined {
  const match = rpoFromPattern.exec(value);
  return match?.[1] !== undefined && match[2] !== undefined ? { stepId: match[1], output: match[2] } : undefined;
}

export const varValueSchema = note(z.string(), { expected: 'a string' });

/** `allowEnv`: names from program-env.ts that steps may set in their environment. */
export const allowEnvSchema = note(
  z.array(
    note(
      z
        .string()
        .regex(envNamePattern)
        .superRefine((name, ctx) => {
          if (!envNamePattern.test(name) || findProgramEnv(name) !== undefined) return;
          const close = suggestionHint(name, programEnvNames, '');
          ctx.addIssue({
            code: 'custom',
            message: `${JSON.stringify(name)} needs no allowing: allowEnv lists variables that change how programs load or run`,
            params: { code: 'bad-value', hint: close?.startsWith('did you mean') ? close : 'such as LD_LIBRARY_PATH, PATH, NODE_OPTIONS or PYTHONPATH' },
          });
        }),
      { code: 'bad-value', expected: 'an environment variable name', hint: 'letters, digits and _, not starting with a digit' },
    ),
  ),
  { expected: 'a list of environment variable names' },
);

/** Who must sign before the steps start: public key files, and how many distinct keys of them. */
const approvalSchema = z.union([
  note(z.literal('none'), { expected: '"none" or a mapping with approvers and quorum' }),
  z
    .strictObject({
      approvers: describe(approversSchema, 'Who may approve: `keys` (Ed25519 public key files, PEM), `roles` as the `trust` file maps them to keys, or both; paths relative to the scenario file.'),
      quorum: describe(z.int().min(1), 'Distinct approvers needed (default 1).').optional(),
      timeout: describe(durationSchema, 'How long the run waits for the approvals before it ends ABORTED, nothing run (default 1h).').optional(),
    })
    .refine((a) => !quorumTooLarge(a.approvers, a.quorum ?? 1), { message: 'quorum is larger than the number of approver keys', path: ['quorum'] }),
]);

export const scenarioShape = {
  version: describe(note(z.literal(1), { code: 'bad-version', hint: 'this version of drillbook reads format version 1' }), 'Format version: 1.'),
  kind: describe(note(z.enum(scenarioKinds), { code: 'bad-kind' }), 'drill (failover exercise), restore (backup restore test) or exit (reversibility).'),
  id: describe(slugSchema, 'Stable identifier: names the run lock and the report folder.'),
  title: describe(text, 'One line saying what is proven.'),
  owner: describe(text, 'Team or person answerable for the drill.'),
  description: describe(z.string(), 'Free text.').optional(),
  environment: describe(text, '`production` asks for confirmation (or --yes) before steps run.').optional(),
  cadence: describe(durationSchema, 'The scenario is overdue when no passing run is this old.').optional(),
  schedule: describe(scheduleSchema, 'Cron expression for the built-in scheduler.').optional(),
  timezone: describe(timezoneSchema, 'IANA time zone of `schedule` and `window` (default UTC).').optional(),
  window: describe(windowSchema, 'When scheduled runs (run-due, schedule) may start: hours by weekday and blackout dates.').optional(),
  deadline: describe(durationSchema, 'Limit for the whole run; cleanup still runs.').optional(),
  approval: describe(
    approvalSchema,
    'Signed approvals (`drillbook approve BUNDLE --key K`) the run waits for after its preconditions, before any step; required for environment: production (`none` runs on the terminal confirmation alone, recorded as a deviation).',
  ).optional(),
  defaults: describe(
    z.strictObject({
      timeout: describe(durationSchema, 'Per-attempt limit of every step (default 10m).').optional(),
      logLimit: describe(sizeSchema, 'Bytes of each output stream of an attempt the bundle keeps (default 64MiB); the rest is hashed, not stored.').optional(),
    }),
    'Values every step inherits.',
  ).optional(),
  objectives: objectivesSchema,
  exit: describe(exitSchema, 'kind: exit only: open formats, data volume, egress price and re-import steps of the exit-readiness checklist.').optional(),
  controls: describe(z.array(text), 'Controls this drill evidences, e.g. ISO27001:A.5.30, DORA:Art.11.').optional(),
  vars: describe(
    z.record(nameSchema, varValueSchema),
    'Variables (strings), read as ${{ vars.NAME }}; --var NAME=VALUE overrides.',
  ).optional(),
  secrets: describe(z.record(nameSchema, secretSchema), 'Secrets, read as ${{ secrets.NAME }}; values are redacted from logs.').optional(),
  allowEnv: describe(
    allowEnvSchema,
    'Environment variables that change how programs load or run (LD_LIBRARY_PATH, PATH, NODE_OPTIONS …) which steps may set in with.env; each use still gets a warning.',
  ).optional(),
  inheritEnv: describe(
    inheritEnvSchema,
    "Variables of drillbook's environment every step's local processes also get (besides PATH, HOME, USER, LOGNAME, LANG, LC_ALL, TZ, TMPDIR); a secret's variable only reaches the steps that reference that secret.",
  ).optional(),
  targets: describe(z.record(nameSchema, targetSchema), 'Named places steps run on (`on`).').optional(),
  preconditions: describe(stepListSchema, 'Checks that must pass before any side effect.').optional(),
  steps: describe(stepListSchema.min(1), 'The drill itself, in order.'),
  cleanup: describe(stepListSchema, 'Always runs: after success, failure, timeout, deadline or interrupt.').optional(),
};

/** The whole written scenario. */
export const scenarioSchema = z.strictObject(scenarioShape);
export type WrittenScenario = z.input<typeof scenarioSchema>;
