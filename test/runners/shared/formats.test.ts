import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { isJsonPrefix } from '../../../runners/shared/formats/format-json.js';
import { classifyFormat, extensionFormat, sniffBytes } from '../../../runners/shared/formats/formats.js';
import { docx, ods, pdf, pgCustomDumpHeader, png, zip } from './fixture-bytes.js';

const scratch = mkdtempSync(join(tmpdir(), 'drillbook-formats-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const text = (value: string): Buffer => Buffer.from(value, 'utf8');
/** The head a runner hands over: the first `sniffBytes` bytes. */
const headOf = (body: Buffer): Buffer => body.subarray(0, sniffBytes);
/** What a command-line tool makes of `input`. */
const run = (command: string, args: string[], input?: Buffer): Buffer => execFileSync(command, args, { ...(input ? { input } : {}), maxBuffer: 64 * 1024 * 1024 });

const pgPlainDump = [
  '--',
  '-- PostgreSQL database dump',
  '--',
  '',
  "SET statement_timeout = 0;",
  "SET client_encoding = 'UTF8';",
  'CREATE TABLE public.items (id integer NOT NULL, name text);',
  'COPY public.items (id, name) FROM stdin;',
  '1\tfirst',
  '\\.',
  '',
].join('\n');

describe('classifyFormat: binary kinds by magic number', () => {
  it.each([
    ['png', png()],
    ['pdf', pdf()],
    ['gzip', gzipSync(text('hello\n'.repeat(100)))],
    ['docx', docx()],
    ['ods', ods()],
    ['zip', zip([['notes.txt', 'plain notes\n'], ['data.csv', 'a,b\n1,2\n']])],
    ['pg-dump', pgCustomDumpHeader()],
  ] as const)('%s', async (format, body) => {
    expect(await classifyFormat(headOf(body))).toBe(format);
  });

  it('bzip2, xz, zstd, tar and a tar.gz as the tools write them', async () => {
    const payload = text('row,value\n'.repeat(500));
    expect(await classifyFormat(headOf(run('bzip2', ['-c'], payload)))).toBe('bzip2');
    expect(await classifyFormat(headOf(run('xz', ['-c'], payload)))).toBe('xz');
    expect(await classifyFormat(headOf(run('zstd', ['-c', '-q'], payload)))).toBe('zstd');
    const tar = run('tar', ['-c', '-C', join(import.meta.dirname), 'formats.test.ts']);
    expect(await classifyFormat(headOf(tar))).toBe('tar');
    expect(await classifyFormat(headOf(gzipSync(tar)))).toBe('gzip');
  });

  it('an SQLite database as sqlite3 writes it', async () => {
    const file = join(scratch, 'store.sqlite');
    run('sqlite3', [file, "CREATE TABLE t (a TEXT); INSERT INTO t VALUES ('x');"]);
    expect(await classifyFormat(headOf(readFileSync(file)))).toBe('sqlite');
  });

  it('random bytes are binary, whatever the name says', async () => {
    const noise = randomBytes(sniffBytes);
    // No magic number can be in front: the first bytes are fixed to something no format starts with.
    noise.set([0x00, 0xff, 0x00, 0xfe], 0);
    expect(await classifyFormat(noise)).toBe('binary');
    expect(await classifyFormat(noise, 'exports/customers.csv')).toBe('binary');
    expect(await classifyFormat(noise, 'notes.txt')).toBe('binary');
  });

  it('ORC by its magic only on binary content; text starting with the letters stays text', async () => {
    expect(await classifyFormat(Buffer.concat([text('ORC'), Buffer.from([0x0a, 0x00, 0x12, 0x8f, 0x01, 0x00, 0x00, 0xff, 0xfe])]))).toBe('orc');
    expect(await classifyFormat(text('ORCHESTRA rehearsal notes\nbring the scores\n'))).toBe('text');
  });

  it('empty for zero bytes', async () => {
    expect(await classifyFormat(new Uint8Array(0), 'data.csv')).toBe('empty');
  });
});

describe('classifyFormat: text kinds by syntax', () => {
  it('a pg_dump plain dump, a MySQL dump and statements without a banner are sql', async () => {
    expect(await classifyFormat(text(pgPlainDump))).toBe('sql');
    expect(await classifyFormat(text('-- MySQL dump 10.13  Distrib 8.0.36\n/*!40101 SET NAMES utf8 */;\nCREATE TABLE `t` (`a` int);\n'))).toBe('sql');
    expect(await classifyFormat(text('/* schema */\nCREATE TABLE orders (id bigint PRIMARY KEY);\nINSERT INTO orders VALUES (1);\n'))).toBe('sql');
    expect(await classifyFormat(text("INSERT INTO t (a, b) VALUES (1, 'x, y');\nINSERT INTO t (a, b) VALUES (2, 'z');\n"))).toBe('sql');
    expect(await classifyFormat(text('PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nCREATE TABLE t(a);\nCOMMIT;\n'))).toBe('sql');
  });

  it('prose that begins like a statement is text', async () => {
    expect(await classifyFormat(text('Create a table of contents before the review.\nInsert into the binder.\n'))).toBe('text');
  });

  it('CSV with quoted commas, quotes and a newline inside a field', async () => {
    const csv = 'id,name,comment\n1,"Smith, Jane","said ""hi"""\n2,"Doe, John","two\nlines"\n3,plain,none\n';
    expect(await classifyFormat(text(csv))).toBe('csv');
    expect(await classifyFormat(text('id;montant\n1;3,50\n2;4,00\n'))).toBe('csv');
    expect(await classifyFormat(text('id\tname\n1\tone, two\n2\tthree\n'))).toBe('tsv');
  });

  it('a CSV whose head ends inside a record judges only the complete records', async () => {
    const rows = ['id,name,amount', ...Array.from({ length: 2000 }, (_, i) => `${i},"name ${i}, ltd",${i * 3}.25`)].join('\n');
    const head = headOf(text(rows));
    expect(head.length).toBe(sniffBytes);
    expect(await classifyFormat(head)).toBe('csv');
  });

  it('lines with differing comma counts are text', async () => {
    expect(await classifyFormat(text('Dear team,\nthe drill went well, mostly, and on time.\nThanks\n'))).toBe('text');
  });

  it('NDJSON, and JSON whole or cut at the head boundary', async () => {
    expect(await classifyFormat(text('{"id":1,"tags":["a"]}\n{"id":2,"tags":[]}\n[3]\n'))).toBe('ndjson');
    expect(await classifyFormat(text('{\n  "id": 1,\n  "nested": {"list": [1, 2.5e3, true, null, "x\\u00e9"]}\n}\n'))).toBe('json');
    const big = text(JSON.stringify(Array.from({ length: 3000 }, (_, i) => ({ id: i, name: `item "${i}"`, price: i / 7 })), null, 2));
    expect(big.length).toBeGreaterThan(sniffBytes);
    expect(await classifyFormat(headOf(big))).toBe('json');
  });

  it('a broken JSON body is not json', async () => {
    expect(await classifyFormat(text('{"id": 1,, "x": 2}'))).toBe('text');
    // Whole (shorter than the head) but unfinished: a truncated file, not JSON.
    expect(await classifyFormat(text('{"id": 1, "name": "cut here'))).toBe('text');
    expect(await classifyFormat(text('[INFO] service started\n[INFO] listening\n'))).toBe('text');
  });

  it('isJsonPrefix accepts every prefix of a document and refuses what no document starts with', () => {
    const document = '{"a": [1, -2.5e+3, "q\\"\\u00e9", true, false, null], "b": {}}';
    for (let end = 0; end <= document.length; end += 1) expect(isJsonPrefix(document.slice(0, end)), document.slice(0, end)).toBe(true);
    for (const bad of ['{"a" 1}', '[1 2]', '{1: 2}', '[tru e]', '["\\x"]', '[01]', '{"a":1}}', '[1]x', '[-]']) expect(isJsonPrefix(bad), bad).toBe(false);
  });

  it('XML, HTML and SVG by prolog and root element', async () => {
    expect(await classifyFormat(text('<?xml version="1.0"?>\n<!-- export -->\n<orders><order id="1"/></orders>\n'))).toBe('xml');
    expect(await classifyFormat(text('<catalog xmlns="urn:x"><item/></catalog>'))).toBe('xml');
    expect(await classifyFormat(text('<!DOCTYPE html>\n<html lang="en"><head><title>x</title></head></html>'))).toBe('html');
    expect(await classifyFormat(text('<div class="note">hello</div>\n'))).toBe('html');
    expect(await classifyFormat(text('<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x.dtd">\n<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBe('svg');
    expect(await classifyFormat(text('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect/></svg>'))).toBe('svg');
    expect(await classifyFormat(text('<alice> hi\n<bob> hello\n'))).toBe('text');
  });

  it('UTF-8 with a BOM, and a multi-byte character split by the head boundary', async () => {
    expect(await classifyFormat(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), text('id,ville\n1,Zürich\n2,Genève\n')]))).toBe('csv');
    expect(await classifyFormat(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), text('{"ok": true}')]))).toBe('json');
    const long = text(`${'é'.repeat(sniffBytes)}`);
    const head = headOf(long.subarray(1));
    expect(head.length).toBe(sniffBytes);
    // The body starts mid-character: not UTF-8. From the start, the last character is cut: still text.
    expect(await classifyFormat(head)).toBe('binary');
    expect(await classifyFormat(headOf(Buffer.concat([text('x'), long])))).toBe('text');
  });

  it('Latin-1, NUL bytes and many control characters are binary', async () => {
    expect(await classifyFormat(Buffer.from('caf\xe9 cr\xe8me\n', 'latin1'))).toBe('binary');
    expect(await classifyFormat(text('abc\u0000def\n'))).toBe('binary');
    expect(await classifyFormat(text(`log line\n${'\u0001\u0002'.repeat(20)}\n`))).toBe('binary');
    expect(await classifyFormat(text('\u001b[32mOK\u001b[0m started\n'))).toBe('text');
  });
});

describe('classifyFormat: the name only breaks ties', () => {
  it('a one-column file named .csv is csv; named .txt or unnamed it is text', async () => {
    const column = text('id\n1\n2\n3\n');
    expect(await classifyFormat(column, 'exports/ids.csv')).toBe('csv');
    expect(await classifyFormat(column, 'ids.txt')).toBe('text');
    expect(await classifyFormat(column)).toBe('text');
  });

  it('content that proves a kind is never overruled by the name', async () => {
    expect(await classifyFormat(png(), 'photo.csv')).toBe('png');
    expect(await classifyFormat(text(pgPlainDump), 'backup.json')).toBe('sql');
    expect(await classifyFormat(text('a,b\n1,2\n'), 'data.tsv')).toBe('csv');
  });

  it('a zip named as an office document, a one-line NDJSON, an XML named .svg', async () => {
    const bare = zip([['content.bin', randomBytes(64)]]);
    expect(await classifyFormat(bare, 'report.xlsx')).toBe('xlsx');
    expect(await classifyFormat(bare, 'archive.zip')).toBe('zip');
    expect(await classifyFormat(text('{"id":1}\n'), 'events.jsonl')).toBe('ndjson');
    expect(await classifyFormat(text('<?xml version="1.0"?>\n<!-- a long licence header -->\n'), 'logo.svg')).toBe('svg');
  });

  it('extensionFormat reads the last extension of a key or path', () => {
    expect(extensionFormat('a/b/Report.PDF')).toBe('pdf');
    expect(extensionFormat('backup.tar.gz')).toBe('gzip');
    expect(extensionFormat('events.jsonl')).toBe('ndjson');
    expect(extensionFormat('.hidden')).toBeUndefined();
    expect(extensionFormat('dir.csv/file')).toBeUndefined();
    expect(extensionFormat('strange.ext')).toBeUndefined();
  });
});
