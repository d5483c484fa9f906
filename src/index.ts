/**
 * drillbook's public API: re-exports only. Validate and compile a scenario, run it (or finish a crashed
 * run) to a sealed bundle, verify and render bundles offline, and the runner contract third-party runners
 * implement.
 */
export { DrillbookError, isDrillbookError, errorCodes, type ErrorCode } from './errors.js';

export { loadScenario, validateScenario, formatIssue, type ValidationResult, type ValidateOptions, type ScenarioIssue } from './scenario/validate.js';
export { compileScenario, type CompiledScenario } from './scenario/compile.js';
export { renderPlanText, renderPlanMermaid } from './scenario/plan.js';
export type { Scenario, Step, StepOrGroup, Target, Mark, Phase } from './scenario/types.js';

export { executeRun, createRunId, type ExecuteOptions, type RunMode, type RunResult, type RunSeal, type RunningDrill } from './engine/run.js';
export { prepareInputs, prepareRunInputs, type RunInputs, type PrepareInputsOptions } from './engine/run-inputs.js';
export { prepareRecovery, type Recovery, type RecoveryOptions } from './engine/recovery.js';
export { checkReadiness, type ReadinessOutcome, type ReadinessCheck } from './engine/readiness.js';
export { decideVerdict } from './engine/verdict.js';

export { verifyBundle, checkIds, type VerifyOptions, type VerifyReport, type VerifyCheck, type CheckId } from './evidence/verify.js';
export { sealBundle, type SealOptions, type SealResult } from './evidence/seal.js';
export { generateKeyPair, loadSigningKey, loadTrustedKey, keyIdOf, type SigningKey, type TrustedKey } from './evidence/keys.js';
export { signOffBundle } from './evidence/sign-off.js';
export { renderHtml } from './evidence/render-html.js';
export { renderJunit } from './evidence/render-junit.js';
export { renderMarkdown } from './evidence/render-markdown.js';
export { verdicts, endReasons, type RunRecord, type Verdict, type EndReason, type StepRecord } from './evidence/run-record.js';
export { journalEvents, parseJournalEvents, type JournalEvent, type JournalEventType } from './evidence/journal-events.js';
export { createRedactor, type Redactor } from './redact.js';

export type {
  AttemptContext,
  Observation,
  ProcessInfo,
  RunnerCatalog,
  RunnerDefinition,
  RunnerSettings,
  StepRunner,
  PreflightCheck,
  PreflightRequest,
  Judgement,
  CapturedStream,
  AttemptClock,
  ParsedAttemptContext,
  TypedStepRunner,
  RunnerDeclaration,
  RunnerRole,
  ExportFacts,
  DumpFacts,
  ReimportFacts,
} from './runner-contract.js';
export { defineRunner, withParsedOptions, durationOption, parseDuration } from './runner-contract.js';
