import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { exitCodes } from '../../src/cli/exit-codes.js';

describe('exit codes', () => {
  it('docs/exit-codes.md lists exactly the table in the code', () => {
    const rows = [...readFileSync('docs/exit-codes.md', 'utf8').matchAll(/^\|\s*(\d+)\s*\|\s*(\w+)\s*\|/gm)].map((m) => [m[2], Number(m[1])]);
    expect(Object.fromEntries(rows)).toEqual(exitCodes);
  });
});
