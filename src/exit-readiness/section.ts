/**
 * The exit-readiness section, projected from the scenario and the step records like the rest of the
 * record (so `recover` rebuilds it). Only the last attempt of each step of `steps` counts: it is the one
 * whose outcome the step has. Pure.
 */
import type { ExitEgressRecord, ExitFormatRecord, ExitProjectionRecord, ExitReadinessRecord } from '../evidence/exit-record.js';
import type { StepRecord } from '../evidence/run-record.js';
import type { DumpFacts, ExportFacts } from './facts.js';
import { egressCost, projectDuration, throughput, unionMs, type Interval } from './projection.js';
import { readExitFacts } from './read-facts.js';
import { formatDuration } from '../scenario/duration.js';
import { defaultExitPlan } from '../scenario/exit-plan.js';
import { formatSize } from '../scenario/size.js';
import type { ExitPlan, Scenario } from '../scenario/types.js';
import { judgeChecklist } from './checklist.js';
import { exitFindings } from './findings.js';
import type { ExitObservation, ExitSteps } from './observation.js';
import { dumpRows, exportRows, reimportRows } from './rows.js';

const exampleLimit = 5;

function interval(step: StepRecord): Interval | undefined {
  const last = step.attempts.at(-1);
  const startMs = last ? Date.parse(last.startedAt) : NaN;
  return last && Number.isFinite(startMs) ? { startMs, endMs: startMs + last.durationMs } : undefined;
}

/** Facts of the last attempt of each step of `steps`, sorted by what they report. */
function observe(plan: ExitPlan, steps: readonly StepRecord[]): ExitSteps {
  const observation: ExitSteps = { exports: [], dumps: [], silentExporters: [], reimports: [] };
  const named = new Set(plan.reimportSteps);
  for (const step of steps) {
    if (step.phase !== 'steps') continue;
    const facts = readExitFacts(step.attempts.at(-1)?.details);
    if (facts?.kind === 'export') observation.exports.push({ step, facts });
    else if (facts?.kind === 'dump') observation.dumps.push({ step, facts });
    else if (step.role === 'export') observation.silentExporters.push(step);
    const declared = named.has(step.id) || (step.group !== undefined && named.has(step.group));
    const reimport = facts?.kind === 'reimport' ? facts : undefined;
    if (declared || reimport) observation.reimports.push({ step, declared, ...(reimport && { facts: reimport }) });
  }
  return observation;
}

function tallyFormats(plan: ExitPlan, exports: readonly { facts: ExportFacts }[], dumps: readonly { facts: DumpFacts }[]): ExitFormatRecord[] {
  const tallies = new Map<string, { objects: number; bytes: number; examples: string[] }>();
  const add = (format: string, objects: number, bytes: number, examples: readonly string[]): void => {
    const tally = tallies.get(format) ?? { objects: 0, bytes: 0, examples: [] };
    tally.objects += objects;
    tally.bytes += bytes;
    for (const example of examples) if (tally.examples.length < exampleLimit && !tally.examples.includes(example)) tally.examples.push(example);
    tallies.set(format, tally);
  };
  for (const { facts } of exports) for (const [format, tally] of Object.entries(facts.formats)) add(format, tally.objects, tally.bytes, tally.examples);
  for (const { facts } of dumps) add(facts.format, 1, facts.bytes, [facts.file]);
  return [...tallies]
    .sort(([a, x], [b, y]) => y.bytes - x.bytes || a.localeCompare(b))
    .map(([format, tally]) => ({ format, ...tally, ...(plan.openFormats.length > 0 && { open: plan.openFormats.includes(format) }) }));
}

function project(plan: ExitPlan, periodMs: number | undefined, exports: readonly { step: StepRecord; facts: ExportFacts }[], dumps: readonly { step: StepRecord; facts: DumpFacts }[]): ExitProjectionRecord {
  const intervals: Interval[] = [];
  let sampleBytes = 0;
  for (const { step, facts } of exports) {
    sampleBytes += facts.transferred.bytes;
    const span = interval(step);
    if (span) intervals.push(span);
  }
  for (const { step, facts } of dumps) {
    sampleBytes += facts.bytes;
    const span = interval(step);
    if (span) intervals.push(span);
  }
  const sampleMs = unionMs(intervals);
  const listed = exports.length + dumps.length > 0 ? exports.reduce((sum, e) => sum + e.facts.listed.bytes, 0) + dumps.reduce((sum, d) => sum + d.facts.bytes, 0) : undefined;
  const volume = plan.dataVolumeBytes !== undefined ? { bytes: plan.dataVolumeBytes, basis: 'declared' as const } : listed !== undefined ? { bytes: listed, basis: 'listed' as const } : undefined;
  const rate = throughput(sampleBytes, sampleMs);
  const projectedMs = volume === undefined ? undefined : projectDuration(volume.bytes, sampleBytes, sampleMs);
  return {
    ...(volume && { volumeBytes: volume.bytes, volumeBasis: volume.basis }),
    sampleBytes,
    sampleMs,
    ...(rate !== undefined && { throughputBytesPerSec: rate }),
    ...(projectedMs !== undefined && { projectedMs }),
    ...(periodMs !== undefined && { periodMs }),
  };
}

function egress(plan: ExitPlan, projection: ExitProjectionRecord): ExitEgressRecord | undefined {
  if (projection.volumeBytes === undefined) return undefined;
  const price = plan.egressPricePerGB;
  return {
    bytes: projection.volumeBytes,
    ...(price !== undefined && { pricePerGB: price, estimatedCost: egressCost(projection.volumeBytes, price) }),
    ...(plan.currency !== undefined && { currency: plan.currency }),
    ...(plan.maxCost !== undefined && { maxCost: plan.maxCost }),
  };
}

/** The section for a `kind: exit` scenario; undefined for other kinds. */
export function computeExitReadiness(scenario: Scenario, steps: readonly StepRecord[]): ExitReadinessRecord | undefined {
  if (scenario.kind !== 'exit') return undefined;
  const plan = scenario.exit ?? defaultExitPlan();
  const periodMs = scenario.objectives.exitPeriodMs;
  const observed = observe(plan, steps);
  const projection = project(plan, periodMs, observed.exports, observed.dumps);
  const observation: ExitObservation = { plan, ...(periodMs !== undefined && { periodMs }), ...observed, formats: tallyFormats(plan, observed.exports, observed.dumps), projection };
  const cost = egress(plan, projection);
  return {
    plan,
    checklist: judgeChecklist(observation, cost),
    exports: exportRows(observed.exports),
    dumps: dumpRows(observed.dumps),
    reimports: reimportRows(observed.reimports),
    formats: observation.formats,
    findings: exitFindings(observation),
    projection,
    ...(cost && { egress: cost }),
  };
}

/** What the exit period objective reports: the projection, said the way it was obtained. */
export function exitPeriodFacts(readiness: ExitReadinessRecord | undefined): { achievedMs?: number; basis: string } | undefined {
  if (!readiness) return undefined;
  const p = readiness.projection;
  const within = readiness.checklist.find((item) => item.check === 'within-period');
  if (p.projectedMs === undefined || p.volumeBytes === undefined) return { basis: `not measured: ${within?.summary ?? 'no projection'}` };
  const rate = p.throughputBytesPerSec === undefined ? 'no transfer needed' : `${formatSize(p.throughputBytesPerSec)}/s measured over ${formatSize(p.sampleBytes)} in ${formatDuration(p.sampleMs)}`;
  return { achievedMs: p.projectedMs, basis: `projected: ${formatSize(p.volumeBytes)} (${p.volumeBasis ?? 'listed'}) at ${rate}` };
}
