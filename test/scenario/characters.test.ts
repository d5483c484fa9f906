/** Control characters are refused in every scalar; bidi controls are warned about, and never echoed raw. */
import { describe, expect, it } from 'vitest';
import { builtinRunners } from '../../runners/index.js';
import { formatIssue, validateScenario } from '../../src/scenario/validate.js';
import { head, problems } from './helpers.js';

const hint = "\n  hint: remove it: control characters cannot be typed meaningfully; a command that needs one gets the program's own escape for it (printf '\\033')";
const step = '  - { id: s, uses: wait, with: { duration: 1s } }\n';

function all(text: string, vars: Record<string, string> = {}): string[] {
  const result = validateScenario(text, 'scenario.yaml', { catalog: builtinRunners, vars });
  return (result.ok ? result.warnings : result.issues).map(formatIssue);
}

describe('control characters', () => {
  it('are refused in every value and key, at the character when it is written raw, else at the value', () => {
    const text = `${head}vars:\n  raw: "a\u0000b"\n  "k\\u0007": v\n  c1: "\\u0085"\n  del: "x\u007f"\nsteps:\n  - id: s\n    uses: local\n    run: [printf, "\\e[2J", "\\r"]\n    with: { env: { A: "\\x1b\\x1b" } }\n`;
    expect(problems(text)).toEqual([
      `scenario.yaml:8:10: vars.raw: contains the control character U+0000${hint}`,
      `scenario.yaml:9:3: vars["k\\u0007"]: the key contains the control character U+0007${hint}`,
      'scenario.yaml:9:3: vars: "k<U+0007>" is not a name\n  hint: names start with a letter or _ and go on with letters, digits, _ or -',
      `scenario.yaml:10:7: vars.c1: contains the control character U+0085${hint}`,
      `scenario.yaml:11:10: vars.del: contains the control character U+007F${hint}`,
      `scenario.yaml:15:19: steps[0].run[1]: contains the control character U+001B${hint}`,
      `scenario.yaml:15:28: steps[0].run[2]: contains the control character U+000D${hint}`,
      `scenario.yaml:16:23: steps[0].with.env.A: contains 2 control characters, the first U+001B${hint}`,
    ]);
  });

  it('allow tab and line feed, also in block scalars', () => {
    expect(problems(`${head}description: |\n  two\tcolumns\n  two lines\nsteps:\n${step}`)).toEqual([]);
  });

  it('are refused in --var values', () => {
    expect(problems(`${head}vars: { greeting: hi }\nsteps:\n${step}`, { greeting: 'hi\u001b]0;owned\u0007' })).toEqual([
      `scenario.yaml:7:1: --var greeting: the value contains 2 control characters, the first U+001B${hint}`,
    ]);
  });
});

describe('bidi controls', () => {
  const warning = (line: number, column: number, label: string, what: string, first: string): string =>
    `scenario.yaml:${line}:${column}: warning: ${label}: contains ${what}, which changes the order the text around it reads in\n  hint: remove it unless right-to-left text needs it; reports and terminals show it as <${first}>`;

  it('are a warning in text, and the scenario stays valid', () => {
    const text = `${head.replace('owner: sre-team', 'owner: "sre\\u200F-team"')}steps:\n  - { id: s, name: "rtl \u202B\u05E9\u05DC\u05D5\u05DD\u202C", uses: wait, with: { duration: 1s } }\n`;
    const result = validateScenario(text, 'scenario.yaml', { catalog: builtinRunners });
    expect(result.ok).toBe(true);
    expect(all(text)).toEqual([
      warning(5, 8, 'owner', 'the bidirectional control U+200F', 'U+200F'),
      warning(8, 25, 'steps[0].name', '2 bidirectional controls, the first U+202B', 'U+202B'),
    ]);
  });

  it('make an id invalid, and messages show them escaped instead of echoing them', () => {
    const lines = all(`${head.replace('id: inline', 'id: "pg\\u202Eliafrevo"')}steps:\n${step}`);
    expect(lines).toEqual([
      warning(3, 5, 'id', 'the bidirectional control U+202E', 'U+202E'),
      'scenario.yaml:3:5: id: "pg<U+202E>liafrevo" is not a lowercase slug\n  hint: use lowercase letters, digits and single hyphens, starting with a letter (e.g. pg-failover)',
    ]);
    expect(lines.join('\n')).not.toMatch(/[\u202a-\u202e]/);
  });
});
