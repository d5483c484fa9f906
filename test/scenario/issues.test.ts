/** How issues read: the one line format, paths, suggestions, order. */
import { describe, expect, it } from 'vitest';
import { formatIssue, formatPath, sortIssues, suggest } from '../../src/scenario/issues.js';
import type { ScenarioIssue } from '../../src/scenario/issues.js';

const issue = (line: number, column: number, message: string, hint?: string): ScenarioIssue => ({
  file: 'a.yaml',
  line,
  column,
  severity: 'error',
  code: 'bad-value',
  message,
  ...(hint === undefined ? {} : { hint }),
});

describe('issues', () => {
  it('format as file:line:column: message, with the hint on an indented line', () => {
    expect(formatIssue(issue(3, 7, 'kind: no'))).toBe('a.yaml:3:7: kind: no');
    expect(formatIssue(issue(3, 7, 'kind: no', 'did you mean "drill"?'))).toBe('a.yaml:3:7: kind: no\n  hint: did you mean "drill"?');
  });

  it('say warning: before the message of a warning', () => {
    expect(formatIssue({ ...issue(2, 8, 'title: odd', 'look again'), severity: 'warning', code: 'bidi-control' })).toBe('a.yaml:2:8: warning: title: odd\n  hint: look again');
  });

  it('name paths the way they are written', () => {
    expect(formatPath([])).toBe('');
    expect(formatPath(['steps', 2, 'retry', 'attempts'])).toBe('steps[2].retry.attempts');
    expect(formatPath(['vars', 'db host'])).toBe('vars["db host"]');
    expect(formatPath(['steps', 0, 'with', 'headers', 'X-Token'])).toBe('steps[0].with.headers.X-Token');
  });

  it('suggest close names only', () => {
    expect(suggest('timout', ['timeout', 'retry'])).toBe('timeout');
    expect(suggest('htp', ['local', 'http', 'wait'])).toBe('http');
    expect(suggest('retries', ['retry', 'run'])).toBe('retry');
    expect(suggest('Uses', ['uses'])).toBe('uses');
    expect(suggest('xyz', ['id', 'on'])).toBeUndefined();
    expect(suggest('ssh', ['local', 'http', 'wait'])).toBeUndefined();
  });

  it('sort by line then column, keeping the order of equal places, once each', () => {
    const a = issue(2, 5, 'a');
    const b = issue(1, 9, 'b');
    const c = issue(2, 5, 'c');
    expect(sortIssues([a, b, c, { ...a }])).toEqual([b, a, c]);
  });
});
