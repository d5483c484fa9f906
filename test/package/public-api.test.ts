/** The package as a user imports it, by its name: the built `exports` entry, types first. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('import "drillbook"', () => {
  it('gives the public API from the built package', async () => {
    const api = await import('drillbook');
    for (const name of ['loadScenario', 'compileScenario', 'executeRun', 'prepareRunInputs', 'prepareRecovery', 'verifyBundle', 'sealBundle', 'renderHtml', 'isDrillbookError', 'createRedactor']) {
      expect(typeof (api as Record<string, unknown>)[name], name).toBe('function');
    }
    const { builtinRunners } = await import('../../runners/index.js');
    const dir = mkdtempSync(join(tmpdir(), 'drillbook-api-'));
    const result = api.validateScenario('version: 1\nkind: drill\nid: api\ntitle: t\nowner: o\nobjectives: {}\nsteps:\n  - { id: a, uses: wait, with: { duration: 1ms } }\n', join(dir, 'api.yaml'), { catalog: builtinRunners });
    expect(result.ok).toBe(true);
    if (result.ok) expect(api.renderPlanText(api.compileScenario(result.scenario))).toContain('api (drill): t');
  });

  it('lets a third party define a runner: validated with positions, run with its options parsed', async () => {
    const api = await import('drillbook');
    const { z } = await import('zod');
    const { builtinRunners } = await import('../../runners/index.js');
    const seen: unknown[] = [];
    const pause = api.defineRunner({
      name: 'acme.pause',
      summary: 'pause',
      options: z.strictObject({ duration: api.durationOption }),
      run: 'forbidden',
      targetKinds: [],
      expects: [],
      // eslint-disable-next-line @typescript-eslint/require-await
      load: async () => ({
        // eslint-disable-next-line @typescript-eslint/require-await
        run: async (ctx) => {
          seen.push(ctx.options.duration);
          return { details: { waitedMs: ctx.options.duration } };
        },
      }),
    });
    const catalog = { ...builtinRunners, 'acme.pause': pause };
    const text = (duration: string) => `version: 1\nkind: drill\nid: api\ntitle: t\nowner: o\nobjectives: {}\nsteps:\n  - { id: a, uses: acme.pause, with: { duration: ${duration} } }\n`;
    expect(api.validateScenario(text('2s'), 'api.yaml', { catalog }).ok).toBe(true);
    const bad = api.validateScenario(text('soon'), 'api.yaml', { catalog });
    expect(bad.ok ? [] : bad.issues.map(api.formatIssue)).toEqual(['api.yaml:8:50: steps[0].with.duration: expected a duration such as 500ms, 90s, 15m, 2h or 1h30m']);
    const runner = await pause.load();
    const { createTestAttempt } = await import('../runners/attempt-context.js');
    expect(await runner.run(createTestAttempt({ options: { duration: '1m30s' } }).ctx)).toEqual({ details: { waitedMs: 90_000 } });
    expect((await runner.run(createTestAttempt({ options: { duration: 'later' } }).ctx)).error?.code).toBe('INVALID_OPTIONS');
    expect(seen).toEqual([90_000]);
  });
});
