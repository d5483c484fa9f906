/**
 * What a downloaded body is checked against: every integrity fact the store gives about the object,
 * computed in the same pass as the bytes are written. Pure (hashing only, no I/O); the requests that
 * gather the facts are in verified-get.ts.
 *
 * - size: the bytes received against Content-Length and against the size HEAD or the listing gave;
 * - md5-etag: a single-part ETag is the MD5 of the body (not with SSE-KMS or SSE-C);
 * - multipart-etag: `md5(md5(part 1) ‖ … ‖ md5(part N))-N`, when the part sizes are known: from the store
 *   (HEAD ?partNumber=), from the ETag itself (one part), or inferred from the usual uniform part sizes
 *   (a match proves the bytes; no match proves nothing, so it is then "not checked");
 * - <alg>-checksum: S3 checksums (`x-amz-checksum-*`): full-object ones over the body, composite ones
 *   (`…-N`) over the parts like the multipart ETag. SHA-1, SHA-256 (node:crypto) and CRC32 (zlib.crc32) are
 *   computed; CRC32C and CRC64NVME have no native implementation in Node and are reported as not checked;
 * - expected-sha256: the scenario's own digest.
 */
import { createHash, type Hash } from 'node:crypto';
import { crc32 } from 'node:zlib';

export const checksumNames = ['crc32', 'crc32c', 'crc64nvme', 'sha1', 'sha256'] as const;
export type ChecksumName = (typeof checksumNames)[number];

/** Checksums Node computes natively, so at the speed of the download. */
const computable = new Set<ChecksumName>(['crc32', 'sha1', 'sha256']);

/** What the store says about one object's body. */
export interface StoreFacts {
  /** Size from HEAD or the listing: independent of the GET that delivered the body. */
  size?: number | undefined;
  /** Content-Length of the GET that delivered the body. */
  contentLength?: number | undefined;
  /** ETag, quotes removed. */
  etag?: string | undefined;
  /** Why the ETag is no digest of the body although it may look like one (SSE-KMS, SSE-C). */
  etagOpaque?: string | undefined;
  /** S3 checksums in base64 as the store gives them; composite ones end with `-N`. */
  checksums?: Partial<Record<ChecksumName, string>> | undefined;
  /** Part sizes in order, from the store (HEAD ?partNumber=). */
  partSizes?: readonly number[] | undefined;
  /** The scenario's own expected SHA-256 (hex). */
  expectedSha256?: string | undefined;
}

/** Names of the facts, as the record lists them. */
export type FactName = 'size' | 'md5-etag' | 'multipart-etag' | `${ChecksumName}-checksum` | 'expected-sha256';

export interface Mismatch {
  fact: FactName;
  expected: string | number;
  actual: string | number;
}

export interface NotChecked {
  fact: FactName;
  reason: string;
}

/** Where the part sizes of a multipart object came from. */
export type PartSizeSource = 'store' | 'etag' | 'inferred';

export interface IntegrityResult {
  bytes: number;
  /** SHA-256 of the body, hex. */
  sha256: string;
  /** Facts compared, in a fixed order; `size` always. */
  checked: FactName[];
  mismatches: Mismatch[];
  /** Facts the store offered that could not be compared, and why. */
  notChecked: NotChecked[];
  partSizes?: { source: PartSizeSource; parts: number; partBytes?: number };
  /**
   * Set when a usual part size fits the multipart ETag's part count but gives another ETag: the bytes may
   * be damaged, or the parts were of another size. A second read tells (verified-get.ts).
   */
  doubt?: string;
}

const mib = 1024 * 1024;
/**
 * Uniform part sizes tools use (lib-storage and rclone 5 MiB; aws-cli, boto3 and drillbook 8 MiB;
 * s3cmd 15 MiB; others 10, 16, 32, 64 MiB and up), tried in this order when the store gives no part sizes.
 */
export const usualPartSizes = [8, 5, 16, 10, 15, 32, 64, 100, 128, 256, 512, 1024].map((n) => n * mib);
/** At most this many inferred layouts are hashed at once: each costs one more MD5 pass. */
const maxInferredLayouts = 3;

const singleEtag = /^[0-9a-f]{32}$/i;
const multipartEtag = /^([0-9a-f]{32})-([1-9]\d{0,4})$/i;
const compositeChecksum = /^(.+)-([1-9]\d{0,4})$/;

/** A digest fed chunk by chunk; `digest()` gives the raw bytes. */
interface Digester {
  update(chunk: Uint8Array): void;
  digest(): Buffer;
}

class Crc32 implements Digester {
  #value = 0;
  update(chunk: Uint8Array): void {
    this.#value = crc32(chunk, this.#value);
  }
  digest(): Buffer {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(this.#value >>> 0);
    return out;
  }
}

function wrapHash(hash: Hash): Digester {
  return { update: (chunk) => void hash.update(chunk), digest: () => hash.digest() };
}

type Algorithm = 'md5' | 'sha1' | 'sha256' | 'crc32';

function digester(algorithm: Algorithm): Digester {
  return algorithm === 'crc32' ? new Crc32() : wrapHash(createHash(algorithm));
}

function digestOf(algorithm: Algorithm, data: Buffer): Buffer {
  const d = digester(algorithm);
  d.update(data);
  return d.digest();
}

/** One way of cutting the body into parts, with the per-part digests it needs. */
class Layout {
  readonly source: PartSizeSource;
  readonly sizes: readonly number[];
  readonly algorithms: readonly Algorithm[];
  readonly #parts = new Map<Algorithm, Buffer[]>();
  #index = 0;
  #left: number;
  #current: Map<Algorithm, Digester>;

  constructor(source: PartSizeSource, sizes: readonly number[], algorithms: readonly Algorithm[]) {
    this.source = source;
    this.sizes = sizes;
    this.algorithms = algorithms;
    for (const algorithm of algorithms) this.#parts.set(algorithm, []);
    this.#left = sizes[0] ?? 0;
    this.#current = this.#fresh();
  }

  #fresh(): Map<Algorithm, Digester> {
    return new Map(this.algorithms.map((algorithm) => [algorithm, digester(algorithm)]));
  }

  #closePart(): void {
    for (const [algorithm, d] of this.#current) this.#parts.get(algorithm)?.push(d.digest());
    this.#index += 1;
    this.#left = this.sizes[this.#index] ?? 0;
    this.#current = this.#fresh();
  }

  update(chunk: Uint8Array): void {
    let offset = 0;
    while (offset < chunk.length) {
      // More bytes than the layout holds: they belong to no part, and the size check fails anyway.
      if (this.#index >= this.sizes.length) return;
      const take = Math.min(this.#left, chunk.length - offset);
      const piece = chunk.subarray(offset, offset + take);
      for (const d of this.#current.values()) d.update(piece);
      offset += take;
      this.#left -= take;
      if (this.#left === 0) this.#closePart();
    }
  }

  /** The composite value (`digest(concat(part digests))`, raw) for `algorithm`; undefined when the body did not fill every part. */
  composite(algorithm: Algorithm): Buffer | undefined {
    const parts = this.#parts.get(algorithm);
    if (!parts || parts.length !== this.sizes.length) return undefined;
    return digestOf(algorithm, Buffer.concat(parts));
  }
}

/** Uniform layouts (every part `size` bytes, the last one the rest) that give `parts` parts for `total` bytes. */
export function inferredPartSizes(total: number, parts: number): number[] {
  return usualPartSizes.filter((size) => Math.ceil(total / size) === parts).slice(0, maxInferredLayouts);
}

function uniformSizes(total: number, partBytes: number): number[] {
  const sizes: number[] = [];
  for (let at = 0; at < total; at += partBytes) sizes.push(Math.min(partBytes, total - at));
  return sizes;
}

/** The checksum header value of a composite (multipart) checksum split into value and part count. */
function splitComposite(value: string): { value: string; parts?: number } {
  const match = compositeChecksum.exec(value);
  return match ? { value: match[1] ?? '', parts: Number(match[2]) } : { value };
}

/** Every fact, in the order the record lists them. */
export const factNames: readonly FactName[] = ['size', 'md5-etag', 'multipart-etag', 'crc32-checksum', 'crc32c-checksum', 'crc64nvme-checksum', 'sha1-checksum', 'sha256-checksum', 'expected-sha256'];

/**
 * The check of one body: feed it every chunk as it is written (`update`), then `finish()`. What is hashed
 * is decided up front from `facts`, so each byte is read once.
 */
export class IntegrityCheck {
  readonly #facts: StoreFacts;
  readonly #sha256 = createHash('sha256');
  readonly #whole = new Map<Algorithm, Digester>();
  readonly #layouts: Layout[] = [];
  readonly #notChecked: NotChecked[] = [];
  readonly #multipartParts: number | undefined;
  #bytes = 0;

  constructor(facts: StoreFacts) {
    this.#facts = facts;
    const etag = facts.etag ?? '';
    const multipart = multipartEtag.exec(etag);
    this.#multipartParts = multipart ? Number(multipart[2]) : undefined;
    const size = facts.size ?? facts.contentLength;
    if (etag !== '') {
      if (facts.etagOpaque !== undefined) this.#notChecked.push({ fact: multipart ? 'multipart-etag' : 'md5-etag', reason: `the ETag is no MD5 of the body (${facts.etagOpaque})` });
      else if (singleEtag.test(etag)) this.#whole.set('md5', digester('md5'));
      else if (!multipart) this.#notChecked.push({ fact: 'md5-etag', reason: `the ETag ${JSON.stringify(etag)} is no MD5` });
    }
    // Algorithms each part is hashed with: md5 for the multipart ETag, the composite checksums' own.
    const partAlgorithms: Algorithm[] = multipart && facts.etagOpaque === undefined ? ['md5'] : [];
    for (const name of checksumNames) {
      const given = facts.checksums?.[name];
      if (given === undefined || given === '') continue;
      if (!computable.has(name)) {
        this.#notChecked.push({ fact: `${name}-checksum`, reason: `${name.toUpperCase()} has no native implementation in Node` });
        continue;
      }
      const algorithm = name as Algorithm;
      const { parts } = splitComposite(given);
      if (parts === undefined) this.#whole.set(algorithm, digester(algorithm));
      else partAlgorithms.push(algorithm);
    }
    const parts = this.#multipartParts ?? this.#compositeParts();
    if (partAlgorithms.length > 0 && parts !== undefined && size !== undefined) this.#planLayouts(size, parts, partAlgorithms);
  }

  /** The part count the composite checksums name (when the ETag names none). */
  #compositeParts(): number | undefined {
    for (const value of Object.values(this.#facts.checksums ?? {})) {
      const { parts } = splitComposite(value);
      if (parts !== undefined) return parts;
    }
    return undefined;
  }

  #planLayouts(size: number, parts: number, algorithms: Algorithm[]): void {
    const store = this.#facts.partSizes;
    if (store && store.length === parts && store.reduce((sum, n) => sum + n, 0) === size) {
      this.#layouts.push(new Layout('store', store, algorithms));
      return;
    }
    if (parts === 1) {
      this.#layouts.push(new Layout('etag', [size], algorithms));
      return;
    }
    for (const partBytes of inferredPartSizes(size, parts)) this.#layouts.push(new Layout('inferred', uniformSizes(size, partBytes), algorithms));
  }

  update(chunk: Uint8Array): void {
    this.#bytes += chunk.length;
    this.#sha256.update(chunk);
    for (const d of this.#whole.values()) d.update(chunk);
    for (const layout of this.#layouts) layout.update(chunk);
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Compare everything; call once, after the last chunk. */
  finish(): IntegrityResult {
    const facts = this.#facts;
    const checked = new Set<FactName>(['size']);
    const mismatches: Mismatch[] = [];
    const notChecked = [...this.#notChecked];
    const bytes = this.#bytes;
    for (const expected of [facts.size, facts.contentLength]) {
      if (expected !== undefined && expected !== bytes && !mismatches.some((m) => m.fact === 'size')) mismatches.push({ fact: 'size', expected, actual: bytes });
    }
    const sha256 = this.#sha256.digest('hex');
    const whole = new Map([...this.#whole].map(([algorithm, d]) => [algorithm, d.digest()]));
    const md5 = whole.get('md5');
    if (md5 !== undefined) {
      checked.add('md5-etag');
      const expected = (facts.etag ?? '').toLowerCase();
      if (md5.toString('hex') !== expected) mismatches.push({ fact: 'md5-etag', expected, actual: md5.toString('hex') });
    }

    // A layout the body fits: the store's (or the ETag's) when given, else the first inferred one that matches.
    const layoutFor = (matches: (layout: Layout) => boolean): Layout | undefined => {
      const exact = this.#layouts.find((layout) => layout.source !== 'inferred');
      return exact ?? this.#layouts.find(matches);
    };
    let used: Layout | undefined;
    let doubt: string | undefined;
    const parts = this.#multipartParts;
    if (parts !== undefined && facts.etagOpaque === undefined) {
      const expected = (facts.etag ?? '').toLowerCase();
      const etagOf = (layout: Layout): string | undefined => {
        const value = layout.composite('md5');
        return value === undefined ? undefined : `${value.toString('hex')}-${parts}`;
      };
      const layout = layoutFor((candidate) => etagOf(candidate) === expected);
      if (layout) {
        used = layout;
        checked.add('multipart-etag');
        const actual = etagOf(layout) ?? `(the body does not fill ${parts} parts)`;
        if (actual !== expected) mismatches.push({ fact: 'multipart-etag', expected, actual });
      } else if (this.#layouts.length === 0) {
        notChecked.push({ fact: 'multipart-etag', reason: 'the part sizes are unknown (the store gives none)' });
      } else {
        notChecked.push({ fact: 'multipart-etag', reason: 'the part sizes are unknown (the store gives none, and no usual part size gives this ETag)' });
        doubt = `no usual part size (${this.#layouts.map((layout) => layout.sizes[0] ?? 0).join(', ')} bytes) gives the multipart ETag ${expected}`;
      }
    }

    for (const name of checksumNames) {
      const given = facts.checksums?.[name];
      if (given === undefined || given === '' || !computable.has(name)) continue;
      const algorithm = name as Algorithm;
      const fact: FactName = `${name}-checksum`;
      const { value, parts: count } = splitComposite(given);
      if (count === undefined) {
        checked.add(fact);
        const actual = whole.get(algorithm)?.toString('base64') ?? '';
        if (actual !== value) mismatches.push({ fact, expected: given, actual });
        continue;
      }
      const compositeOf = (layout: Layout): string | undefined => {
        const raw = layout.composite(algorithm);
        return raw === undefined ? undefined : `${raw.toString('base64')}-${count}`;
      };
      const layout = used ?? layoutFor((candidate) => compositeOf(candidate) === given);
      if (!layout) {
        notChecked.push({ fact, reason: 'a composite checksum needs the part sizes, which are unknown' });
        continue;
      }
      used ??= layout;
      checked.add(fact);
      const actual = compositeOf(layout) ?? `(the body does not fill ${count} parts)`;
      if (actual !== given) mismatches.push({ fact, expected: given, actual });
    }

    if (facts.expectedSha256 !== undefined) {
      checked.add('expected-sha256');
      const expected = facts.expectedSha256.toLowerCase();
      if (sha256 !== expected) mismatches.push({ fact: 'expected-sha256', expected, actual: sha256 });
    }
    const result: IntegrityResult = { bytes, sha256, checked: factNames.filter((fact) => checked.has(fact)), mismatches, notChecked };
    if (doubt !== undefined) result.doubt = doubt;
    if (used) {
      const first = used.sizes[0];
      result.partSizes = { source: used.source, parts: used.sizes.length, ...(used.source === 'inferred' && first !== undefined ? { partBytes: first } : {}) };
    }
    return result;
  }
}

/** Facts that prove the bytes are the store's (more than a byte count). */
function storeDigests(result: IntegrityResult): FactName[] {
  return result.checked.filter((fact) => fact !== 'size' && fact !== 'expected-sha256');
}

/**
 * Whether reading the object again could give other bytes: a store fact failed (damage on the way), or
 * only the scenario's digest failed while no store digest vouched for the bytes. When the store's own
 * digests match, the store holds other bytes than expected, and a second read would show the same.
 */
export function worthRetrying(result: IntegrityResult): boolean {
  if (result.mismatches.length === 0) return false;
  if (result.mismatches.some((m) => m.fact !== 'expected-sha256')) return true;
  return storeDigests(result).length === 0;
}

/** What the record keeps of a check (`details.integrity`). */
export type IntegritySummary =
  | { checked: FactName[]; result: 'verified'; partSizes?: IntegrityResult['partSizes'] }
  | 'size-checked only'
  | { checked: FactName[]; result: 'mismatch'; mismatches: Mismatch[]; bytes: number };

/**
 * `details.integrity`: the facts checked and `verified`; `'size-checked only'` when the store offered no
 * fact beyond the size; or the mismatches.
 */
export function integritySummary(result: IntegrityResult): IntegritySummary {
  if (result.mismatches.length) return { checked: result.checked, result: 'mismatch', mismatches: result.mismatches, bytes: result.bytes };
  if (result.checked.length === 1 && result.checked[0] === 'size') return 'size-checked only';
  return { checked: result.checked, result: 'verified', ...(result.partSizes ? { partSizes: result.partSizes } : {}) };
}

/** One line per mismatch: `md5-etag: expected …, got …`. */
export function describeMismatches(mismatches: readonly Mismatch[]): string {
  return mismatches.map((m) => `${m.fact}: expected ${m.expected}, got ${m.actual}`).join('; ');
}

/** `details.integrity` of a step that reads many objects (s3.import, s3.export): how many were verified beyond their size, and by which facts. */
export interface IntegrityCounts {
  /** Objects read. */
  objects: number;
  /** Checked against a digest (the store's, or the expected SHA-256), not only a size, and found right. */
  verified: number;
  sizeCheckedOnly: number;
  /** Failed a check on every read. */
  mismatched: number;
  /** Read again after a first read failed a check. */
  retried: number;
  /** Every fact checked on at least one object. */
  checked: FactName[];
}

export function integrityCounts(results: readonly { integrity?: IntegritySummary | undefined; integrityRetries?: readonly unknown[] | undefined }[]): IntegrityCounts {
  const read = results.filter((result) => result.integrity !== undefined);
  const checked = new Set<FactName>();
  for (const { integrity } of read) if (integrity !== undefined && integrity !== 'size-checked only') for (const fact of integrity.checked) checked.add(fact);
  return {
    objects: read.length,
    verified: read.filter((result) => typeof result.integrity === 'object' && result.integrity.result === 'verified').length,
    sizeCheckedOnly: read.filter((result) => result.integrity === 'size-checked only').length,
    mismatched: read.filter((result) => typeof result.integrity === 'object' && result.integrity.result === 'mismatch').length,
    retried: read.filter((result) => (result.integrityRetries?.length ?? 0) > 0).length,
    checked: factNames.filter((fact) => checked.has(fact)),
  };
}
