import { trustFile } from '../../src/register/scan-scenarios.js';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinRunners } from '../../runners/index.js';
import { formatIssue, loadScenario } from '../../src/scenario/validate.js';

const samples = readdirSync('scenarios').filter((name) => name.endsWith('.yaml') && !trustFile.test(name));

describe('sample scenarios the demo runs', () => {
  it('there are samples', () => {
    expect(samples).toEqual(expect.arrayContaining(['local-service-restart.yaml', 'ssh-failover.yaml']));
  });

  it.each(samples)('%s is valid', async (name) => {
    const result = await loadScenario(join('scenarios', name), { catalog: builtinRunners });
    expect(result.ok ? [] : result.issues.map(formatIssue)).toEqual([]);
  });
});
