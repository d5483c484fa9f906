/** `--var k=v` pairs; each must name a declared var (the validator checks that). */
import { DrillbookError } from '../errors.js';

export function parseVarFlags(pairs: readonly string[]): Record<string, string> {
  const vars: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new DrillbookError('USAGE', `--var ${JSON.stringify(pair)}: expected NAME=VALUE`);
    vars[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return vars;
}
