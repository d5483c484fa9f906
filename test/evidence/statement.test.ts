import { describe, expect, it } from 'vitest';
import { stableStringify } from '../../src/evidence/stable-json.js';
import { buildStatement, predicateType, serializeStatement } from '../../src/evidence/statement.js';
import { sampleRecord } from './fixtures.js';

describe('buildStatement', () => {
  it('is an in-toto Statement v1 with subjects sorted by name in code-unit order', () => {
    const record = sampleRecord();
    const digest = { sha256: 'f'.repeat(64) };
    const statement = buildStatement(record, [
      { name: 'logs/b.log', digest },
      { name: 'Zeta.txt', digest },
      { name: 'journal.jsonl', digest },
      { name: 'logs/a.log', digest },
    ]);
    expect(statement._type).toBe('https://in-toto.io/Statement/v1');
    expect(statement.predicateType).toBe('https://drillbook.dev/run-record/v1');
    expect(predicateType).toBe(statement.predicateType);
    expect(statement.subject.map((s) => s.name)).toEqual(['Zeta.txt', 'journal.jsonl', 'logs/a.log', 'logs/b.log']);
    expect(statement.predicate).toBe(record);
  });

  it('serialises as stable JSON with sorted keys and a final newline', () => {
    const text = serializeStatement(buildStatement(sampleRecord(), []));
    expect(text.endsWith('}\n')).toBe(true);
    expect(Object.keys(JSON.parse(text) as object)).toEqual(['_type', 'predicate', 'predicateType', 'subject']);
    expect(stableStringify({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } })).toBe('{\n  "a": {\n    "d": [\n      3,\n      {\n        "y": 2,\n        "z": 1\n      }\n    ]\n  },\n  "b": 1\n}');
  });
});
