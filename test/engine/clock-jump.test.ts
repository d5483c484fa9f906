/** A wall-clock step during a run (NTP, a VM resumed) is noticed, journalled and explained; durations are unaffected. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SimulatedClock } from '../../src/engine/simulated-clock.js';
import { renderHtml } from '../../src/evidence/render-html.js';
import type { AttemptContext, Observation, RunnerCatalog } from '../../src/runner-contract.js';
import { scenario, startTestDrill, step, tempBundle } from './support.js';

function catalog(clock: SimulatedClock): RunnerCatalog {
  return {
    jumpy: {
      name: 'jumpy',
      summary: 'sleeps 1 s; steps the wall clock by `jumpMs` first',
      options: z.object({}).passthrough(),
      run: 'optional',
      targetKinds: [],
      expects: ['exitCode'],
      load: () =>
        Promise.resolve({
          async run(ctx: AttemptContext): Promise<Observation> {
            const jump = ctx.options['jumpMs'];
            if (typeof jump === 'number') clock.stepWall(jump);
            await ctx.clock.sleep(1000, ctx.signal);
            return { exitCode: 0 };
          },
        }),
    },
  };
}

describe('clock jumps', () => {
  it('records a wall-clock step as a journal event and a deviation the report shows; RTO stays on the monotonic clock', async () => {
    const clock = new SimulatedClock(Date.UTC(2026, 10, 28, 14, 0, 0));
    const types: string[] = [];
    const handle = startTestDrill(
      scenario({
        objectives: { rtoMs: 10_000 },
        steps: [
          step('disaster', [], { uses: 'jumpy', marks: ['t0'] }),
          step('ntp', [], { uses: 'jumpy', with: { jumpMs: 3_600_000 } }),
          step('back', [], { uses: 'jumpy', marks: ['recovered'] }),
        ],
      }),
      { bundleDir: tempBundle('drillbook-clock-'), runners: catalog(clock), clock, onEvent: (e) => types.push(e.type) },
    );
    const record = await clock.run(handle.done);
    expect(types.filter((t) => t === 'clock.jumped')).toHaveLength(1);
    expect(record.objectives.rto.achievedMs).toBe(3000);
    expect(record.verdict).toBe('PASS');
    expect(record.deviations).toEqual([
      expect.stringMatching(/^the wall clock moved ahead by 1h against the run's monotonic clock \(noticed at 2026-11-28T14:00:02\.000Z, wall clock then 2026-11-28T15:00:02\.000Z\): durations are unaffected/),
    ]);
    // Times in the record follow the run's clock: three one-second steps, 3 s in all.
    expect(record.finishedAt).toBe('2026-11-28T14:00:03.000Z');
    expect(renderHtml(record)).toContain('Deviation: the wall clock moved ahead by 1h');
  });

  it('a steady wall clock gives no event and no deviation', async () => {
    const clock = new SimulatedClock();
    const types: string[] = [];
    const handle = startTestDrill(scenario({ steps: [step('one', [], { uses: 'jumpy' })] }), {
      bundleDir: tempBundle('drillbook-clock-'),
      runners: catalog(clock),
      clock,
      onEvent: (e) => types.push(e.type),
    });
    const record = await clock.run(handle.done);
    expect(types).not.toContain('clock.jumped');
    expect(record.deviations).toEqual([]);
  });
});
