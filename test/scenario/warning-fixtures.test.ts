/**
 * One fixture per warning (test/fixtures/warning/<code>.yaml): the scenario is valid, and the warning is
 * pinned in full, file:line:column, message and hint.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { builtinRunners } from '../../runners/index.js';
import { formatIssue, loadScenario, warningCodes } from '../../src/scenario/validate.js';
import { fixture, fixtureNames } from './fixtures.js';

const expected: Record<string, string> = {
  'allowed-env': `test/fixtures/warning/allowed-env.yaml:13:14: warning: steps[0].with.env: LD_LIBRARY_PATH chooses the libraries programs load (allowed by allowEnv)
  hint: remove it from allowEnv when the drill no longer needs it`,
  'detached-process': `test/fixtures/warning/detached-process.yaml:10:19: warning: steps[0].run[2]: step "start-app" may leave a process running after it ends or is stopped: the script runs a command in the background (&)
  hint: a step ends when its command exits, and is stopped through its process group (over ssh, its session); & lets a process escape that. Run it in the foreground, or as a step of its own with background: true, which drillbook stops`,
  'bidi-control': `test/fixtures/warning/bidi-control.yaml:4:8: warning: title: contains 4 bidirectional controls, the first U+2066, which changes the order the text around it reads in
  hint: remove it unless right-to-left text needs it; reports and terminals show it as <U+2066>`,
};

describe('warning fixtures', () => {
  it.each(Object.keys(expected))('%s', async (name) => {
    const result = await loadScenario(fixture('warning', name), { catalog: builtinRunners });
    expect(result.ok).toBe(true);
    const warnings = result.ok ? result.warnings : [];
    expect(warnings.map(formatIssue).join('\n')).toBe(expected[name]);
    expect(warnings.map((issue) => [issue.severity, issue.code])).toEqual([['warning', name]]);
  });

  it('has one fixture per warning code, named after it', async () => {
    expect(await fixtureNames('warning')).toEqual([...warningCodes].sort());
    expect(Object.keys(expected).sort()).toEqual([...warningCodes].sort());
  });
});

describe('docs/scenario-format.md', () => {
  it('lists every warning code with an example', async () => {
    const doc = await readFile('docs/scenario-format.md', 'utf8');
    const rows = [...doc.matchAll(/^\| `([a-z0-9-]+)` \| [^|]+ \| ``(s\.yaml:\d+:\d+: warning: .+)`` \|$/gm)];
    expect(rows.map((row) => row[1])).toEqual([...warningCodes]);
    for (const [, code = '', example = ''] of rows) {
      expect(example).toBe(expected[code]?.split('\n')[0]?.replace(`test/fixtures/warning/${code}.yaml`, 's.yaml'));
    }
  });
});
