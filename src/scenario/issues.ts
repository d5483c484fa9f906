/**
 * Validation issues: their shape, where they point, how they read. Every problem found in a scenario
 * becomes one `ScenarioIssue`; nothing in the pipeline throws on bad input.
 */
import { distance } from 'fastest-levenshtein';
import type { ZodType } from 'zod';
import { revealInvisible } from '../visible-text.js';

/** An error makes the scenario invalid; a warning is printed and the scenario still runs. */
export type Severity = 'error' | 'warning';

export interface ScenarioIssue {
  /** The path as the caller gave it (relative stays relative). */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** Follows from the code: `warning` for the `warningCodes`, `error` for every other. */
  severity: Severity;
  /** One of `issueCodes` or `warningCodes`. */
  code: string;
  message: string;
  hint?: string;
}

/** Every issue code, one per class of problem; docs/scenario-format.md lists them with an example each. */
export const issueCodes = [
  // the file and its YAML
  'unreadable',
  'file-too-large',
  'bad-encoding',
  'empty-file',
  'yaml-syntax',
  'yaml-version',
  'yaml-tag',
  'multiple-documents',
  'duplicate-key',
  'merge-key',
  'alias-bomb',
  'too-deep',
  'too-many-steps',
  'too-many-entries',
  'unquoted-template',
  'not-a-mapping',
  'control-character',
  // shape
  'unknown-key',
  'missing-key',
  'wrong-type',
  'bad-value',
  'bad-name',
  'bad-duration',
  'bad-version',
  'bad-kind',
  'bad-id',
  'bad-run',
  'bad-regex',
  'bad-output',
  'bad-secret',
  'bad-target',
  'bad-url',
  'bad-timezone',
  'bad-schedule',
  'bad-window',
  'bad-rpo-from',
  'bad-size',
  'unknown-format',
  // meaning
  'duplicate-id',
  'unknown-runner',
  'run-required',
  'run-forbidden',
  'bad-with',
  'unsupported-expect',
  'unknown-target',
  'target-kind',
  'relative-url',
  'url-credentials',
  'bad-header',
  'unsafe-env',
  'bad-template',
  'undefined-var',
  'undefined-secret',
  'unknown-step',
  'undefined-output',
  'output-not-ready',
  'mark-not-ready',
  'mark-order',
  'missing-t0',
  'duplicate-mark',
  'mark-phase',
  'background-mark',
  'until-without-background',
  'until-mark-missing',
  'background-in-group',
  'background-phase',
  'check-phase',
  'check-background',
  'check-outputs',
  'check-runner',
  'gate-phase',
  'nested-group',
  'empty-group',
  'rto-without-marks',
  'undeclared-var',
  'schedule-outside-window',
  'approval-required',
  'exit-kind',
  'exit-cost',
  'reimport-phase',
  'exit-without-export',
  // files the scenario names (`drillbook validate` reads them as a run would)
  'approver-keys',
  // not the scenario's fault
  'internal-error',
] as const;
export type IssueCode = (typeof issueCodes)[number];

/** Codes of what is worth a second look but does not make a scenario invalid; docs/scenario-format.md lists them too. */
export const warningCodes = ['bidi-control', 'allowed-env', 'detached-process'] as const;
export type WarningCode = (typeof warningCodes)[number];

export function severityOf(code: string): Severity {
  return (warningCodes as readonly string[]).includes(code) ? 'warning' : 'error';
}

export const isError = (issue: Pick<ScenarioIssue, 'severity'>): boolean => issue.severity === 'error';

/** Where a value sits in the parsed data: keys of mappings and indexes of lists. */
export type Path = readonly (string | number)[];

/** A problem before it is placed: at the key or at the value of `path`, or at a byte offset. */
export interface Problem {
  code: IssueCode | WarningCode;
  message: string;
  hint?: string | undefined;
}

export interface Placement {
  path?: Path;
  /** Point at the key (unknown keys, duplicates) instead of the value. */
  at?: 'key' | 'value';
  /** Point at this text inside the value when it can be found there (a template inside a string). */
  needle?: string;
  /** An offset in the source text; wins over `path`. */
  offset?: number;
}

/** Turns a path or an offset into a 1-based position; load.ts builds it from the YAML document. */
export interface Locator {
  locate(place: Placement): { line: number; column: number };
}

export interface IssueSink {
  report(problem: Problem, place?: Placement): void;
  readonly issues: readonly ScenarioIssue[];
}

export function createIssueSink(file: string, locator: Locator): IssueSink {
  const issues: ScenarioIssue[] = [];
  return {
    issues,
    report(problem, place = {}) {
      const { line, column } = locator.locate(place);
      // Messages quote what was written: nothing in them may steer the terminal they are printed on.
      const issue: ScenarioIssue = { file, line, column, severity: severityOf(problem.code), code: problem.code, message: revealInvisible(problem.message) };
      if (problem.hint !== undefined) issue.hint = revealInvisible(problem.hint);
      issues.push(issue);
    },
  };
}

/** `file:line:column: message` (`…: warning: message` for a warning), then the hint on its own indented line. */
export function formatIssue(issue: ScenarioIssue): string {
  const head = `${issue.file}:${issue.line}:${issue.column}: ${issue.severity === 'warning' ? 'warning: ' : ''}${issue.message}`;
  return issue.hint === undefined ? head : `${head}\n  hint: ${issue.hint}`;
}

/** By line, then column; equal issues (same place, code and message) once. Stable otherwise. */
export function sortIssues(issues: readonly ScenarioIssue[]): ScenarioIssue[] {
  const seen = new Set<string>();
  const unique = issues.filter((issue) => {
    const key = `${issue.line}:${issue.column}:${issue.code}:${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return unique
    .map((issue, index) => ({ issue, index }))
    .sort((a, b) => a.issue.line - b.issue.line || a.issue.column - b.issue.column || a.index - b.index)
    .map(({ issue }) => issue);
}

const identifier = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `steps[2].retry.attempts`, `vars["odd key"]`; the empty path is the whole document. */
export function formatPath(path: Path): string {
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else if (identifier.test(part)) text += text ? `.${part}` : part;
    else text += `[${JSON.stringify(part)}]`;
  }
  return text;
}

/** The message with its path in front, when there is a path. */
export function at(path: Path, message: string): string {
  const label = formatPath(path);
  return label ? `${label}: ${message}` : message;
}

/** The closest candidate when it is close enough to be a plausible typo. */
export function suggest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const lower = name.toLowerCase();
  for (const candidate of candidates) {
    const d = distance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  // Short names only tolerate one edit; longer ones up to half their length.
  const limit = Math.max(1, Math.floor(name.length / 2));
  return best !== undefined && bestDistance <= limit && bestDistance < name.length ? best : undefined;
}

/** `did you mean "http"?`, or the list of what is allowed when nothing is close. */
export function suggestionHint(name: string, candidates: readonly string[], noun = 'allowed'): string | undefined {
  const close = suggest(name, candidates);
  if (close !== undefined) return `did you mean "${close}"?`;
  if (candidates.length === 0) return undefined;
  return `${noun}: ${candidates.join(', ')}`;
}

/** A value as a message quotes it: strings in JSON quotes, long ones cut. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') {
    const cut = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return JSON.stringify(cut);
  }
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : typeof value;
}

/** `a, b or c`. */
export function listWords(words: readonly string[], last = 'or'): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} ${last} ${words[words.length - 1] ?? ''}`;
}

/** What the issue translator says about problems raised at one schema: its code, noun and hint. */
export interface SchemaNote {
  code?: IssueCode;
  /** The expected thing, for messages: "a duration", "a list of strings". */
  expected?: string;
  hint?: string;
}

/** Notes by schema instance, so that messages are written next to the schemas they explain. */
export const notes = new WeakMap<ZodType, SchemaNote>();

export function note<T extends ZodType>(schema: T, value: SchemaNote): T {
  notes.set(schema, value);
  return schema;
}
