/**
 * Rules tying `exit:` to the rest of the scenario: the re-import steps exist and belong to `steps`, and an
 * exit period that must be judged has an export to measure the throughput with.
 */
import { at, suggestionHint } from './issues.js';
import type { RuleContext } from './rules.js';

/** `exit.reimport` names steps (or groups) of `steps`. */
export function reimportSteps(context: RuleContext): void {
  const { draft, sink } = context;
  if (!draft.scenario.exit) return;
  const phases = new Map<string, string>();
  for (const [item, site] of draft.sites) {
    if (Object.hasOwn(site.raw, 'id') && !site.bad.has('id') && !phases.has(item.id)) phases.set(item.id, site.phase);
  }
  for (const { id, index } of draft.exitSites.reimport) {
    const path = ['exit', 'reimport', index];
    const phase = phases.get(id);
    if (phase === undefined) {
      if (draft.looseIds.has(id)) return;
      sink.report({ code: 'unknown-step', message: at(path, `no step "${id}"`), hint: suggestionHint(id, [...phases.keys()], 'steps') }, { path });
    } else if (phase !== 'steps') {
      sink.report(
        { code: 'reimport-phase', message: at(path, `step "${id}" is in ${phase}; a re-import is proven by a step of steps`), hint: 'name a step under steps:, or move this one there' },
        { path },
      );
    }
  }
}

/**
 * A required `within-period` with a declared `exitPeriod` needs an exporting step: the projection rests on
 * its measured throughput. Without one, every run would end INCONCLUSIVE, so it is refused before it starts.
 */
export function periodNeedsExport(context: RuleContext): void {
  const { draft, sink } = context;
  const { exit: plan, objectives } = draft.scenario;
  if (!plan?.required.includes('within-period') || objectives.exitPeriodMs === undefined) return;
  for (const [item, site] of draft.sites) {
    if (item.type !== 'step' || site.phase !== 'steps') continue;
    // A step whose runner did not pass cannot be judged either way.
    if (!Object.hasOwn(site.raw, 'uses') || site.bad.has('uses') || !Object.hasOwn(context.catalog, item.uses) || context.catalog[item.uses]?.role === 'export') return;
  }
  const runners = Object.values(context.catalog).flatMap((runner) => (runner.role === 'export' ? [runner.name] : [])).sort().join(' or ');
  if (draft.exitSites.written.has('require')) {
    const path = ['exit', 'require', plan.required.indexOf('within-period')];
    sink.report(
      { code: 'exit-without-export', message: at(path, `within-period is required, but no ${runners} step measures the throughput to project the exit period from`), hint: `add an ${runners} step under steps:, or leave within-period out of require` },
      { path },
    );
    return;
  }
  const path = ['objectives', 'exitPeriod'];
  sink.report(
    {
      code: 'exit-without-export',
      message: at(path, `the exit period is judged by projecting the measured export throughput, but no ${runners} step measures it`),
      hint: `add an ${runners} step under steps:, or write exit.require without within-period`,
    },
    { path },
  );
}
