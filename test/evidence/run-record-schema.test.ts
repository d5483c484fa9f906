import { readFileSync } from 'node:fs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import type { RunRecord } from '../../src/evidence/run-record.js';
import { runRecordJsonSchema, runRecordSchema } from '../../src/evidence/run-record-schema.js';
import { sampleRecord } from './fixtures.js';

type Schema = z.output<typeof runRecordSchema>;
/** Assignability catches `?: T | undefined` vs `?: T` (exactOptionalPropertyTypes), which type identity misses. */
type Assignable<From, To> = [From] extends [To] ? true : false;

describe('runRecordSchema', () => {
  it('infers exactly the RunRecord interface, both ways', () => {
    expectTypeOf<Schema>().toEqualTypeOf<RunRecord>();
    expectTypeOf<RunRecord>().toEqualTypeOf<Schema>();
    const schemaToInterface: Assignable<Schema, RunRecord> = true;
    const interfaceToSchema: Assignable<RunRecord, Schema> = true;
    expect([schemaToInterface, interfaceToSchema]).toEqual([true, true]);
  });

  it('accepts a full record and keeps it unchanged', () => {
    const record = sampleRecord();
    expect(runRecordSchema.parse(record)).toEqual(record);
  });

  it('rejects a record with a bad verdict and a short digest, naming both paths', () => {
    const record = { ...sampleRecord(), verdict: 'GREEN', journal: { file: 'journal.jsonl', entries: 1, headSha256: 'abc' } };
    const result = runRecordSchema.safeParse(record);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual(['verdict', 'journal.headSha256']);
  });
});

describe('schema/run-record.schema.json', () => {
  it('is the committed copy of the generated JSON Schema', () => {
    const committed: unknown = JSON.parse(readFileSync(new URL('../../schema/run-record.schema.json', import.meta.url), 'utf8'));
    expect(committed).toEqual(runRecordJsonSchema());
  });
});
