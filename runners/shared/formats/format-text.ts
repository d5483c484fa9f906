/**
 * Text formats, which carry no magic number: the head must be UTF-8 without NUL and with few control
 * characters, then its syntax says which kind (SQL, JSON, NDJSON, markup, CSV/TSV) or plain text.
 */
import { sniffDelimited } from './format-delimited.js';
import { looksLikeJson, looksLikeNdjson } from './format-json.js';
import { sniffMarkup } from './format-markup.js';

export type TextFormat = 'text' | 'csv' | 'tsv' | 'json' | 'ndjson' | 'xml' | 'html' | 'svg' | 'sql';

/** Share of control characters (other than tab, newlines, form feed, escape) text may hold: logs have a few. */
const maxControlShare = 0.01;

/** Comment lines pg_dump, pg_dumpall, mysqldump and MariaDB put in the banner of their plain output. */
const dumpBanner = /^--\s*(?:PostgreSQL database (?:cluster )?dump|MySQL dump|MariaDB dump)/i;
/** Statements that open a schema or data dump (one line each); prose beginning "Create a …" does not match. */
const statement = new RegExp(
  [
    String.raw`CREATE\s+(?:OR\s+REPLACE\s+)?(?:(?:GLOBAL\s+|LOCAL\s+)?(?:TEMP|TEMPORARY|UNLOGGED)\s+)?(?:TABLE|VIEW|MATERIALIZED\s+VIEW|(?:UNIQUE\s+)?INDEX|SCHEMA|SEQUENCE|FUNCTION|PROCEDURE|TYPE|EXTENSION|DATABASE|TRIGGER|DOMAIN)\s`,
    String.raw`INSERT\s+INTO\s+\S`,
    String.raw`COPY\s+\S+(?:\s*\([^)]*\))?\s+FROM\s+stdin\s*;`,
    String.raw`ALTER\s+(?:TABLE|SEQUENCE|SCHEMA|TYPE|FUNCTION|DATABASE)\s`,
    String.raw`DROP\s+(?:TABLE|VIEW|INDEX|SCHEMA|SEQUENCE|DATABASE|FUNCTION|TYPE)\s`,
    String.raw`SET\s+[\w.]+\s*(?:=|TO\s)[^;\n]*;`,
    String.raw`SELECT\s+pg_catalog\.`,
    String.raw`(?:BEGIN|START\s+TRANSACTION)(?:\s+TRANSACTION)?\s*;`,
    // `sqlite3 .dump` opens with this.
    String.raw`PRAGMA\s+foreign_keys\s*=`,
  ]
    .map((pattern) => `^(?:${pattern})`)
    .join('|'),
  'i',
);

/** The head as text, or undefined when it is not UTF-8 text. `complete`: the head is the whole body. */
export function decodeText(head: Uint8Array, complete: boolean): string | undefined {
  // A NUL byte is either invalid here or decodes to U+0000, refused below: no need to decode (binary heads).
  if (head.includes(0)) return undefined;
  let text: string;
  try {
    // A BOM is dropped; a character the cut split is held back instead of failing the check.
    text = new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: !complete });
  } catch {
    return undefined;
  }
  let controls = 0;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code === 0) return undefined;
    if ((code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d && code !== 0x0c && code !== 0x1b) || code === 0x7f) controls += 1;
  }
  return controls <= text.length * maxControlShare ? text : undefined;
}

/** An SQL dump or script: a dump tool's banner among the leading comments, or a first statement of the kinds dumps hold. */
export function looksLikeSql(text: string): boolean {
  // `/* … */` blocks (mysqldump's version guards) are comments too.
  const lines = text.replace(/\/\*[\s\S]*?\*\//g, '').split('\n').map((line) => line.trim());
  for (const line of lines) {
    if (line === '' || line === ';') continue;
    if (!line.startsWith('--')) return statement.test(line);
    if (dumpBanner.test(line)) return true;
  }
  return false;
}

/** The kind of text `text` is; `complete`: it is the whole body, not a head cut at `sniffBytes`. */
export function sniffText(text: string, complete: boolean): TextFormat {
  if (looksLikeSql(text)) return 'sql';
  if (looksLikeNdjson(text, complete)) return 'ndjson';
  if (looksLikeJson(text, complete)) return 'json';
  const markup = sniffMarkup(text);
  if (markup) return markup;
  return sniffDelimited(text, complete) ?? 'text';
}
