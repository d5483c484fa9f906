/**
 * File formats, told by content. Binary kinds by their magic numbers (`file-type`, plus PostgreSQL's
 * custom dump and ORC, which it does not know); text kinds by syntax (format-text.ts). The name is only a
 * tie-breaker, where the content cannot decide: a one-column `.csv`, an OOXML file whose telling entry
 * lies past the head. Pure: no I/O.
 */
import { fileTypeFromBuffer } from 'file-type';
import { decodeText, sniffText } from './format-text.js';

import { sniffBytes, type FormatId } from '../../../src/runner-contract.js';

export { formatIds, sniffBytes, type FormatId } from '../../../src/runner-contract.js';

/**
 * file-type's extensions that are ours, renamed. Macro-enabled and template OOXML count as their
 * document kind; other zip containers (jar, epub …) as zip. Text kinds file-type also knows (xml, vtt …)
 * are left to our own sniffers.
 */
const fromFileType: Readonly<Record<string, FormatId>> = {
  pdf: 'pdf', png: 'png', apng: 'png', jpg: 'jpeg', gif: 'gif', webp: 'webp', tif: 'tiff',
  parquet: 'parquet', avro: 'avro', sqlite: 'sqlite',
  docx: 'docx', docm: 'docx', dotx: 'docx', dotm: 'docx',
  xlsx: 'xlsx', xlsm: 'xlsx', xltx: 'xlsx', xltm: 'xlsx',
  pptx: 'pptx', pptm: 'pptx', potx: 'pptx', potm: 'pptx', ppsx: 'pptx', ppsm: 'pptx',
  odt: 'odt', ott: 'odt', ods: 'ods', ots: 'ods', odp: 'odp', otp: 'odp',
  zip: 'zip', jar: 'zip', apk: 'zip', epub: 'zip', xpi: 'zip', '3mf': 'zip', vsdx: 'zip', odg: 'zip', otg: 'zip',
  gz: 'gzip', 'tar.gz': 'gzip', bz2: 'bzip2', xz: 'xz', zst: 'zstd', tar: 'tar', '7z': '7z',
};

/** File name extensions (lower case) and the format they usually hold. */
const byExtension: Readonly<Record<string, FormatId>> = {
  txt: 'text', text: 'text', log: 'text', md: 'text',
  csv: 'csv', tsv: 'tsv', tab: 'tsv', json: 'json', ndjson: 'ndjson', jsonl: 'ndjson',
  xml: 'xml', html: 'html', htm: 'html', xhtml: 'html', svg: 'svg', sql: 'sql', dump: 'pg-dump',
  parquet: 'parquet', avro: 'avro', orc: 'orc', sqlite: 'sqlite', sqlite3: 'sqlite',
  pdf: 'pdf', png: 'png', jpg: 'jpeg', jpeg: 'jpeg', gif: 'gif', webp: 'webp', tif: 'tiff', tiff: 'tiff',
  docx: 'docx', xlsx: 'xlsx', pptx: 'pptx', odt: 'odt', ods: 'ods', odp: 'odp',
  zip: 'zip', gz: 'gzip', tgz: 'gzip', gzip: 'gzip', bz2: 'bzip2', xz: 'xz', zst: 'zstd', tar: 'tar', '7z': '7z',
};

/**
 * What the name may refine a content finding into: each is a special case of what the content showed
 * (a one-column CSV is text, a DOCX is a zip). Content that proves another kind is never overruled.
 */
const refinements: Readonly<Partial<Record<FormatId, readonly FormatId[]>>> = {
  text: ['csv', 'tsv', 'sql'],
  json: ['ndjson'],
  xml: ['svg', 'html'],
  zip: ['docx', 'xlsx', 'pptx', 'odt', 'ods', 'odp'],
};

/** The format a file name suggests (its last extension), or undefined. Keys with folders are fine. */
export function extensionFormat(name: string): FormatId | undefined {
  const base = name.slice(name.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  if (dot <= 0) return undefined;
  return byExtension[base.slice(dot + 1).toLowerCase()];
}

function startsWith(head: Uint8Array, magic: string): boolean {
  if (head.length < magic.length) return false;
  for (let i = 0; i < magic.length; i += 1) if (head[i] !== magic.charCodeAt(i)) return false;
  return true;
}

/**
 * How every format of `fromFileType` starts, as file-type 21 tests it (a necessary condition each), and
 * the two lead-ins after which it looks again (a UTF-8 BOM, an ID3 tag). A head that starts with none of
 * them, and holds no tar header, cannot come back as one of ours: file-type (async, 0.2–0.3 ms of CPU a
 * head) is skipped. Random and text heads, nearly all of an export, end here.
 */
const fileTypeLeads = [
  '%PDF', '\x89PNG', '\xff\xd8\xff', 'GIF', 'RIFF', 'II', 'MM', 'PAR1', 'PARE', 'Obj\x01', 'SQLi', 'PK',
  '\x1f\x8b\x08', 'BZh', '\xfd7zXZ\x00', '\x28\xb5\x2f\xfd', '7z\xbc\xaf\x27\x1c', '\xef\xbb\xbf', 'ID3',
];

/**
 * A tar header's marks at offset 257: `ustar`, or the zeros of a pre-POSIX header. file-type reads a short
 * head into a zeroed buffer, so bytes past the end count as zeros; with 148 bytes or fewer its checksum
 * field is empty and no tar can match.
 */
function mayBeTar(head: Uint8Array): boolean {
  if (head.length <= 148) return false;
  if (startsWith(head.subarray(257), 'ustar')) return true;
  for (let i = 257; i < 263; i += 1) if ((head[i] ?? 0) !== 0) return false;
  return true;
}

/** Magic numbers file-type finds, as our ids; undefined for what it does not know or we do not map. */
async function magicFormat(head: Uint8Array): Promise<FormatId | undefined> {
  if (!fileTypeLeads.some((lead) => startsWith(head, lead)) && !mayBeTar(head)) return undefined;
  try {
    const found = await fileTypeFromBuffer(head);
    return found ? fromFileType[found.ext] : undefined;
  } catch {
    // A head cut inside a structure file-type walks (a zip directory) is not an error of ours.
    return undefined;
  }
}

/** The format told by content alone. */
async function contentFormat(head: Uint8Array): Promise<FormatId> {
  if (head.length === 0) return 'empty';
  // pg_dump -Fc: the archive header starts with this; the rest may be compressed.
  if (startsWith(head, 'PGDMP')) return 'pg-dump';
  const magic = await magicFormat(head);
  if (magic) return magic;
  const complete = head.length < sniffBytes;
  const text = decodeText(head, complete);
  if (text !== undefined) return sniffText(text, complete);
  // "ORC" is too short a magic to trust on text: it counts only on a binary head.
  if (startsWith(head, 'ORC')) return 'orc';
  return 'binary';
}

/** The format of a body from its first `sniffBytes` bytes (fewer when the body is shorter) and its name. */
export async function classifyFormat(head: Uint8Array, name?: string): Promise<FormatId> {
  const found = await contentFormat(head.subarray(0, sniffBytes));
  const named = name === undefined ? undefined : extensionFormat(name);
  if (named !== undefined && refinements[found]?.includes(named)) return named;
  return found;
}
