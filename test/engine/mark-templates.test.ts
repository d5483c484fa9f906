/**
 * `${{ marks.t0 }}` in a step's options resolves to the instant the t0 step started, and runners can
 * look up declared secrets by name (`ctx.secret`) without them passing through templates.
 */
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../src/engine/simulated-clock.js';
import type { AttemptContext, Observation, RunnerCatalog } from '../../src/runner-contract.js';
import { scenario, startTestDrill, step, tempBundle } from './support.js';

const seen: { stepId: string; options: Record<string, unknown>; secret: string | undefined }[] = [];

/** Sleeps 1 s (simulated), then reports the options it was given. */
const catalog: RunnerCatalog = {
  script: {
    name: 'script',
    summary: 'reports its options',
    options: z.object({}).passthrough(),
    run: 'optional',
    targetKinds: [],
    expects: ['exitCode'],
    load: () =>
      Promise.resolve({
        async run(ctx: AttemptContext): Promise<Observation> {
          await ctx.clock.sleep(1_000, ctx.signal);
          seen.push({ stepId: ctx.stepId, options: ctx.options, secret: ctx.secret?.('token') });
          return { exitCode: 0 };
        },
      }),
  },
};

describe('mark templates', () => {
  it('gives later steps and cleanup the instants t0 and recovered were reached', async () => {
    const dir = tempBundle('drillbook-marks-');
    const clock = new SimulatedClock(Date.UTC(2026, 10, 28, 14, 0, 0));
    const s = scenario({
      steps: [
        step('before', [{ ms: 1000 }]),
        step('disaster', [{ ms: 1000 }], { marks: ['t0'] }),
        step('back', [{ ms: 1000 }], { marks: ['recovered'] }),
        step('measure', [{ ms: 1000 }], { with: { t0: '${{ marks.t0 }}', recovered: 'at ${{ marks.recovered }}' } }),
      ],
      cleanup: [step('tidy', [{ ms: 1000 }], { with: { t0: '${{ marks.t0 }}' } })],
    });
    const handle = startTestDrill(s, { bundleDir: dir, runners: catalog, clock, secrets: { token: 's3cr3t-value' } });
    const record = await clock.run(handle.done);
    expect(record.verdict).toBe('PASS');
    const measure = seen.find((entry) => entry.stepId === 'measure');
    // `before` takes 1 s, so the disaster starts at 14:00:01; `back` passes 2 s later.
    expect(measure?.options).toEqual({ t0: '2026-11-28T14:00:01.000Z', recovered: 'at 2026-11-28T14:00:03.000Z' });
    expect(seen.find((entry) => entry.stepId === 'tidy')?.options).toEqual({ t0: '2026-11-28T14:00:01.000Z' });
    expect(seen.every((entry) => entry.secret === 's3cr3t-value')).toBe(true);
  });
});
