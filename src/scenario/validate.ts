/**
 * The validation pipeline: YAML (load.ts) → shape and normalisation (normalize.ts) → rules (rules.ts).
 * Every problem at once, sorted by position; the scenario only when there are none.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { RunnerCatalog } from '../runner-contract.js';
import { createIssueSink, isError, sortIssues } from './issues.js';
import type { ScenarioIssue } from './issues.js';
import { loadDocument, maxScenarioBytes } from './load.js';
import { normalizeScenario } from './normalize.js';
import { applyRules } from './rules.js';
import type { Scenario } from './types.js';

export type { IssueCode, ScenarioIssue } from './issues.js';
export { formatIssue, isError, issueCodes, warningCodes } from './issues.js';
export { maxScenarioBytes } from './load.js';

/**
 * Valid when no issue is an error. A valid scenario may still come with warnings; an invalid one lists
 * its errors and warnings together in `issues`, sorted by position.
 */
export type ValidationResult = { ok: true; scenario: Scenario; warnings: ScenarioIssue[] } | { ok: false; issues: ScenarioIssue[] };

export interface ValidateOptions {
  catalog: RunnerCatalog;
  /** `--var` overrides: each must name a declared var. */
  vars?: Record<string, string>;
  /**
   * The folder relative paths resolve against, instead of the file's own: a bundle's copy of a scenario is
   * read with the folder the run used.
   */
  sourceDir?: string;
}

function failure(file: string, code: ScenarioIssue['code'], message: string, hint?: string): ValidationResult {
  const issue: ScenarioIssue = { file, line: 1, column: 1, severity: 'error', code, message };
  if (hint !== undefined) issue.hint = hint;
  return { ok: false, issues: [issue] };
}

const tooLarge = (file: string, bytes: number): ValidationResult =>
  failure(file, 'file-too-large', `the file is ${bytes} bytes; scenario files are limited to ${maxScenarioBytes} bytes (1 MiB)`, 'split it, or move large data out of the scenario');

function validate(text: string, bytes: Uint8Array, file: string, options: ValidateOptions): ValidationResult {
  if (bytes.byteLength > maxScenarioBytes) return tooLarge(file, bytes.byteLength);
  const { document, sink } = loadDocument(text, (locator) => createIssueSink(file, locator));
  if (document.value === undefined) return { ok: false, issues: sortIssues(sink.issues) };

  const absolute = resolve(file);
  const source = { file: absolute, dir: options.sourceDir ?? dirname(absolute), sha256: createHash('sha256').update(bytes).digest('hex') };
  const vars = options.vars ?? {};
  const draft = normalizeScenario(document.value, source, sink, vars);
  applyRules({ draft, catalog: options.catalog, sink, vars });
  const issues = sortIssues(sink.issues);
  if (issues.some(isError)) return { ok: false, issues };

  const scenario = draft.scenario;
  scenario.vars = { ...scenario.vars, ...vars };
  for (const step of [...scenario.preconditions, ...scenario.steps, ...scenario.cleanup].flatMap((s) => (s.type === 'group' ? s.parallel : [s]))) {
    const role = options.catalog[step.uses]?.role;
    if (role) step.role = role;
  }
  return { ok: true, scenario, warnings: issues };
}

/** Pure: text in, result out. `file` names the file in issues (as given) and, resolved, in `Scenario.source`. */
export function validateScenario(text: string, file: string, options: ValidateOptions): ValidationResult {
  try {
    return validate(text, Buffer.from(text, 'utf8'), file, options);
  } catch (error) {
    return internalFailure(file, error);
  }
}

/** Reads the one file (refusing oversize files before reading them) then validates it. */
export async function loadScenario(file: string, options: ValidateOptions): Promise<ValidationResult> {
  let bytes: Buffer;
  try {
    const handle = await open(file, 'r');
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) return failure(file, 'unreadable', 'not a regular file');
      if (stat.size > maxScenarioBytes) return tooLarge(file, stat.size);
      // Read at most one byte past the limit: a file that grows meanwhile is still refused.
      const buffer = Buffer.alloc(maxScenarioBytes + 1);
      let length = 0;
      for (;;) {
        const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
        if (bytesRead === 0) break;
        length += bytesRead;
        if (length === buffer.length) return tooLarge(file, length);
      }
      bytes = buffer.subarray(0, length);
    } finally {
      await handle.close();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'not a regular file' : (code ?? 'read error');
    return failure(file, 'unreadable', `cannot read the file: ${why}`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return failure(file, 'bad-encoding', 'the file is not UTF-8 text', 'save it as UTF-8');
  }
  try {
    return validate(text, bytes, file, options);
  } catch (error) {
    return internalFailure(file, error);
  }
}

// A bug must not turn bad input into a crash; the issue says it is ours, not the scenario's.
function internalFailure(file: string, error: unknown): ValidationResult {
  const message = error instanceof Error ? error.message : String(error);
  return failure(file, 'internal-error', `internal error while validating: ${message}`, 'please report this with the scenario file');
}
