/**
 * The machine owns the run: it implements exactly the vocabulary the compiler may name (checked on every
 * sample and valid fixture), the journal tells events in the order they happened, and a fault inside an
 * attempt becomes a recorded internal error instead of a silent failure.
 */
import { trustFile } from '../../src/register/scan-scenarios.js';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { builtinRunners } from '../../runners/index.js';
import { createDrillMachine, engineOnlyActions } from '../../src/engine/drill-machine.js';
import type { AttemptContext, Observation, RunnerCatalog } from '../../src/runner-contract.js';
import { compileScenario, type StateConfig } from '../../src/scenario/compile.js';
import { actionNames, actorNames, guardNames } from '../../src/scenario/machine-vocabulary.js';
import { loadScenario } from '../../src/scenario/validate.js';
import { SimulatedClock } from '../../src/engine/simulated-clock.js';
import { scenario, startTestDrill, step, tempBundle } from './support.js';

function namesIn(state: StateConfig, found = { actions: new Set<string>(), guards: new Set<string>(), actors: new Set<string>() }) {
  const transitions = (value: unknown): void => {
    for (const t of Array.isArray(value) ? value : value ? [value] : []) {
      const transition = t as { actions?: { type: string }[]; guard?: { type: string } };
      for (const a of transition.actions ?? []) found.actions.add(a.type);
      if (transition.guard) found.guards.add(transition.guard.type);
    }
  };
  for (const a of [...(state.entry ?? []), ...(state.exit ?? [])]) found.actions.add(a.type);
  if (state.invoke) {
    found.actors.add(state.invoke.src);
    transitions(state.invoke.onDone);
    transitions(state.invoke.onError);
  }
  for (const group of [state.after, state.on]) for (const value of Object.values(group ?? {})) transitions(value);
  transitions(state.always);
  transitions(state.onDone);
  for (const child of Object.values(state.states ?? {})) namesIn(child, found);
  return found;
}

const scenarioFiles = [
  ...readdirSync('scenarios').filter((f) => f.endsWith('.yaml') && !trustFile.test(f)).map((f) => join('scenarios', f)),
  ...readdirSync('test/fixtures/valid').map((f) => join('test/fixtures/valid', f)),
];

describe('the machine implements exactly what the compiler may name', () => {
  it('has one implementation per vocabulary name, and nothing else but the engine’s own events', () => {
    const machine = createDrillMachine(compileScenario(scenario({ steps: [step('one')] })), {} as never, { steps: {}, marks: {}, mainStarted: false, deviations: [] });
    expect(Object.keys(machine.implementations.actions).sort()).toEqual([...actionNames, ...engineOnlyActions].sort());
    expect(Object.keys(machine.implementations.guards).sort()).toEqual([...guardNames].sort());
    expect(Object.keys(machine.implementations.actors).sort()).toEqual([...actorNames].sort());
  });

  for (const file of scenarioFiles) {
    it(`${file}: every action, guard and actor its compiled machine names is implemented`, async () => {
      const loaded = await loadScenario(file, { catalog: builtinRunners });
      if (!loaded.ok) throw new Error(`${file} is not valid: ${loaded.issues.map((i) => i.message).join('; ')}`);
      const found = namesIn(compileScenario(loaded.scenario).machine);
      expect(found.actions.size).toBeGreaterThan(3);
      for (const name of found.actions) expect(actionNames).toContain(name);
      for (const name of found.guards) expect(guardNames).toContain(name);
      for (const name of found.actors) expect(actorNames).toContain(name);
    });
  }
});

/** Reports a process, then a number that contains the secret's digits, then throws for `boom`. */
const faulty: RunnerCatalog = {
  probe: {
    name: 'probe',
    summary: 'test runner',
    options: z.object({}).passthrough(),
    run: 'optional',
    targetKinds: [],
    expects: ['exitCode'],
    load: () =>
      Promise.resolve({
        async run(ctx: AttemptContext): Promise<Observation> {
          ctx.onProcess({ runner: 'probe', host: 'test-host', pid: 4242, pgid: 4242, argv: ctx.argv ?? [] });
          await ctx.clock.sleep(100, ctx.signal);
          if (ctx.options['boom'] === true) throw new Error('the runner fell over');
          return { exitCode: 0, details: { count: 412345, text: 'value 12345 seen' } };
        },
      }),
  },
};

describe('a run journal', () => {
  it('tells step.started → mark → attempt.started → process.started → attempt.finished → step.finished, in order', async () => {
    const clock = new SimulatedClock();
    const types: string[] = [];
    const handle = startTestDrill(
      scenario({ steps: [step('disaster', [], { uses: 'probe', marks: ['t0'], run: ['x'] })] }),
      { bundleDir: tempBundle('drillbook-order-'), runners: faulty, clock, onEvent: (e) => types.push(e.type) },
    );
    await clock.run(handle.done);
    expect(types).toEqual([
      'run.started',
      'step.started',
      'mark',
      'attempt.started',
      'process.started',
      'attempt.finished',
      'step.finished',
      'cleanup.started',
      'run.finished',
    ]);
  });

  it('keeps numbers as numbers when a secret of digits is inside them, and redacts it in text', async () => {
    const clock = new SimulatedClock();
    const handle = startTestDrill(scenario({ steps: [step('count', [], { uses: 'probe' })] }), {
      bundleDir: tempBundle('drillbook-number-'),
      runners: faulty,
      clock,
      secrets: { pin: '12345' },
    });
    const record = await clock.run(handle.done);
    expect(record.verdict).toBe('PASS');
    expect(record.steps[0]?.attempts[0]?.details).toEqual({ count: 412345, text: 'value *** seen' });
  });

  it('a runner that throws: the attempt fails with its cause in the record, code RUNNER_FAILED', async () => {
    const clock = new SimulatedClock();
    const handle = startTestDrill(scenario({ steps: [step('fall', [], { uses: 'probe', with: { boom: true } })] }), {
      bundleDir: tempBundle('drillbook-throw-'),
      runners: faulty,
      clock,
    });
    const record = await clock.run(handle.done);
    const attempt = record.steps[0]?.attempts[0];
    expect([attempt?.status, attempt?.reason, attempt?.code, attempt?.message]).toEqual(['failed', 'error', 'RUNNER_FAILED', 'the runner fell over']);
    expect(record.verdictReasons).toEqual(['step fall failed: the runner fell over']);
  });
});
