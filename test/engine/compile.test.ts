import { describe, expect, it } from 'vitest';
import { compileScenario } from '../../src/scenario/compile.js';
import { renderPlanMermaid, renderPlanText } from '../../src/scenario/plan.js';
import { group, scenario, step } from './support.js';

const sample = scenario({
  deadlineMs: 3_600_000,
  environment: 'production',
  objectives: { rtoMs: 900_000 },
  preconditions: [step('healthy', [{ ms: 1 }], { uses: 'http', timeoutMs: 10_000 })],
  steps: [
    step('writer', [{ ms: 1 }], { background: true, until: 't0' }),
    step('disaster', [{ ms: 1 }], { marks: ['t0'], run: ['systemctl', 'stop', 'postgresql'] }),
    group('promote-all', [step('promote-a'), step('promote-b', [{ ms: 1 }], { retry: { attempts: 3, backoffMs: 5000 } })]),
    step('probe', [{ ms: 1 }], { marks: ['recovered'], continueOnError: false }),
  ],
  cleanup: [step('failback', [{ ms: 1 }], { run: ['systemctl', 'start', 'postgresql'] })],
});

describe('compileScenario', () => {
  it('is plain data: a JSON round trip changes nothing', () => {
    const compiled = compileScenario(sample);
    expect(JSON.parse(JSON.stringify(compiled.machine))).toEqual(compiled.machine);
  });

  it('compiles the sample machine (snapshot)', () => {
    expect(compileScenario(sample).machine).toMatchSnapshot();
  });

  it('puts the deadline on the active part and confirmation before the steps in production', () => {
    const machine = compileScenario(sample).machine as { states: { active: { after: object; states: Record<string, unknown> } } };
    expect(Object.keys(machine.states.active.after)).toEqual(['3600000']);
    expect(Object.keys(machine.states.active.states)).toEqual(['preconditions', 'confirm', 'main']);
  });

  it('prints the plan as text and Mermaid (snapshots)', () => {
    expect(renderPlanText(compileScenario(sample))).toMatchSnapshot();
    expect(renderPlanMermaid(compileScenario(sample))).toMatchSnapshot();
  });
});
