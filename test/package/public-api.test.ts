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
});
