/** A bundle's journal as the campaigns read it: each line's type and data, nothing checked. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Line {
  type: string;
  data: Record<string, unknown>;
}

export const lines = (bundle: string): Line[] =>
  readFileSync(join(bundle, 'journal.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line);
