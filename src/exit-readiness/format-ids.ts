/** The format ids and the sniff size, apart from the classifier: validation needs them without loading file-type. */

/** Every format id the classifier can return; a scenario's `exit.openFormats` names some of them. */
export const formatIds = [
  'empty', 'text', 'csv', 'tsv', 'json', 'ndjson', 'xml', 'html', 'svg', 'sql', 'pg-dump',
  'parquet', 'avro', 'orc', 'sqlite', 'pdf', 'png', 'jpeg', 'gif', 'webp', 'tiff',
  'docx', 'xlsx', 'pptx', 'odt', 'ods', 'odp', 'zip', 'gzip', 'bzip2', 'xz', 'zstd', 'tar', '7z', 'binary',
] as const;
export type FormatId = (typeof formatIds)[number];

/** Bytes of the start of a body the classifier looks at. */
export const sniffBytes = 8192;
