/** The in-toto Statement v1 that `record.json` holds: the bundle's files as subjects, the run record as predicate. */
import type { RunRecord } from './run-record.js';
import { compareCodeUnits, stableStringify } from './stable-json.js';

/** Stable URI of the run-record predicate (docs/evidence.md). A new major version gets a new URI. */
export const predicateType = 'https://drillbook.dev/run-record/v1';
export const statementType = 'https://in-toto.io/Statement/v1';
/** DSSE payloadType of an in-toto Statement. */
export const inTotoPayloadType = 'application/vnd.in-toto+json';

/** A file of the bundle: its bundle-relative POSIX path and SHA-256. */
export interface Subject {
  name: string;
  digest: { sha256: string };
}

export interface InTotoStatement {
  _type: typeof statementType;
  subject: Subject[];
  predicateType: typeof predicateType;
  predicate: RunRecord;
}

/** Build the Statement; subjects are copied and sorted by name (code-unit order) so the bytes are stable. */
export function buildStatement(record: RunRecord, subjects: readonly Subject[]): InTotoStatement {
  return {
    _type: statementType,
    subject: subjects.map((s) => ({ name: s.name, digest: { sha256: s.digest.sha256 } })).sort((a, b) => compareCodeUnits(a.name, b.name)),
    predicateType,
    predicate: record,
  };
}

/** The exact bytes of `record.json`: stable JSON plus a newline. The DSSE payload is these bytes. */
export function serializeStatement(statement: InTotoStatement): string {
  return `${stableStringify(statement)}\n`;
}
