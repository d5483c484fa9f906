/**
 * The forms in which a secret value can end up in a bundle: as written, and as the usual encoders write
 * it. The redactor and the seal's scan both take their list from here, so what is redacted and what is
 * refused cannot drift apart. docs/redaction.md lists the forms for readers.
 */
import { escapeMarkup } from './markup.js';

/**
 * Derived forms shorter than this are dropped (the value as written is always kept): the base64 inner
 * part of a 1–2 byte secret is 0–2 characters, which would match nearly anything.
 */
export const minimumDerivedFormLength = 8;

/**
 * Every form of `secret` to redact or refuse, the value as written first, each form once. Empty for an
 * empty secret.
 *
 * Base forms: the value, upper- and lower-cased, percent-encoded, base64, hex and (for multi-line values)
 * each line. Each base form is also listed JSON-escaped and HTML-escaped, as journal.jsonl, record.json
 * and report.html would write it.
 */
export function secretForms(secret: string): string[] {
  if (secret === '') return [];
  const bytes = Buffer.from(secret, 'utf8');
  const bases = [
    secret,
    secret.toUpperCase(),
    secret.toLowerCase(),
    ...percentForms(bytes),
    ...base64Forms(bytes),
    bytes.toString('hex'),
    bytes.toString('hex').toUpperCase(),
    ...secretLines(secret),
  ];
  const forms = new Set([secret]);
  for (const base of bases) {
    for (const escape of containerEscapes) {
      const form = escape(base);
      if (form.length >= minimumDerivedFormLength) forms.add(form);
    }
  }
  return [...forms];
}

// --- percent-encoding ----------------------------------------------------------------------------------

/** Which bytes an encoder leaves as they are, whether it writes a space as `+`, and whether it drops tab, LF and CR. */
interface PercentEncoder {
  keeps(byte: number): boolean;
  spaceAsPlus: boolean;
  dropsTabAndNewline?: boolean;
}

const isAlphanumeric = (b: number): boolean => (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
const keepsAlphanumericAnd =
  (others: string) =>
  (b: number): boolean =>
    isAlphanumeric(b) || others.includes(String.fromCharCode(b));
/** What the WHATWG URL parser leaves as written: printable ASCII outside `set`. */
const keepsPrintableExcept =
  (set: string) =>
  (b: number): boolean =>
    b > 0x20 && b < 0x7f && !set.includes(String.fromCharCode(b));

const percentEncoders: readonly PercentEncoder[] = [
  // encodeURIComponent, and the WHATWG component set.
  { keeps: keepsAlphanumericAnd("-_.!~*'()"), spaceAsPlus: false },
  // RFC 3986 unreserved only: Python quote(safe='').
  { keeps: keepsAlphanumericAnd('-_.~'), spaceAsPlus: false },
  // application/x-www-form-urlencoded as URLSearchParams and Java's URLEncoder write it.
  { keeps: keepsAlphanumericAnd('*-._'), spaceAsPlus: true },
  // Python urlencode/quote_plus, Go url.QueryEscape.
  { keeps: keepsAlphanumericAnd('-_.~'), spaceAsPlus: true },
  // A raw value in a URL, as `new URL()` serialises it: the special-query, path and userinfo sets (the
  // URL parser removes tab, LF and CR wherever they are).
  { keeps: keepsPrintableExcept('"#\'<>'), spaceAsPlus: false, dropsTabAndNewline: true },
  { keeps: keepsPrintableExcept('"#<>?`{}'), spaceAsPlus: false, dropsTabAndNewline: true },
  { keeps: keepsPrintableExcept('"#<>?`{}/:;=@[\\]^|'), spaceAsPlus: false, dropsTabAndNewline: true },
];

/** Each encoder's output with upper-case hex escapes, and again with lower-case ones. */
function percentForms(bytes: Buffer): string[] {
  return percentEncoders.flatMap((encoder) => [false, true].map((lower) => percentEncode(bytes, encoder, lower)));
}

function percentEncode(bytes: Buffer, encoder: PercentEncoder, lower: boolean): string {
  let text = '';
  for (const b of bytes) {
    if (encoder.dropsTabAndNewline && (b === 0x09 || b === 0x0a || b === 0x0d)) continue;
    if (b === 0x20 && encoder.spaceAsPlus) text += '+';
    else if (encoder.keeps(b)) text += String.fromCharCode(b);
    else {
      const hex = b.toString(16).padStart(2, '0');
      text += `%${lower ? hex : hex.toUpperCase()}`;
    }
  }
  return text;
}

// --- base64 --------------------------------------------------------------------------------------------

/**
 * Base64 (standard and URL-safe) of the secret's bytes at each of the three alignments it can have inside
 * a longer encoded text, as GitHub Actions masks them. For each: the inner part, which depends only on the
 * secret's bytes (the characters shared with the bytes before or after are left out), and the forms that
 * run to the end of the encoded text, unpadded and padded.
 */
function base64Forms(bytes: Buffer): string[] {
  const forms: string[] = [];
  for (const shift of [0, 1, 2] as const) {
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
    const unpadded = encoded.replace(/=+$/, '');
    // Characters that also encode bits of the `shift` bytes before the secret.
    const lead = [0, 2, 3][shift];
    // A last group shorter than 3 bytes shares its last character with the byte after the secret.
    const inner = (shift + bytes.length) % 3 === 0 ? unpadded.slice(lead) : unpadded.slice(lead, -1);
    for (const form of [inner, unpadded.slice(lead), encoded.slice(lead)]) {
      forms.push(form, form.replace(/\+/g, '-').replace(/\//g, '_'));
    }
  }
  return forms;
}

// --- lines ---------------------------------------------------------------------------------------------

/**
 * Each line of a multi-line secret (a PEM key printed line by line), without surrounding white space.
 * Lines shorter than the minimum are left out (a PEM body's last line can be `Qw==`), and so are PEM
 * armour and header lines: `-----BEGIN PRIVATE KEY-----` is the same in every key and also heads public
 * keys and certificates, which a bundle may hold legitimately.
 */
function secretLines(secret: string): string[] {
  const lines = secret.split(/\r\n|\r|\n/);
  if (lines.length < 2) return [];
  return lines
    .map((line) => line.trim())
    .filter((line) => line.length >= minimumDerivedFormLength && !/^-----[^-].*-----$/.test(line) && !/^(Proc-Type|DEK-Info):/.test(line));
}

// --- JSON and HTML escaping ----------------------------------------------------------------------------

/** JSON string contents as JSON.stringify writes them. */
const escapeJson = (text: string): string => JSON.stringify(text).slice(1, -1);
const unicodeEscape = (c: string, upper: boolean): string => {
  const hex = c.charCodeAt(0).toString(16).padStart(4, '0');
  return `\\u${upper ? hex.toUpperCase() : hex}`;
};
/** Non-ASCII as `\uxxxx` (one per UTF-16 unit): Python's ensure_ascii, PHP and Jackson write this. */
const escapeJsonAscii = (text: string, upper: boolean): string => escapeJson(text).replace(/[^\0-\x7f]/g, (c) => unicodeEscape(c, upper));
/** Go's encoding/json: `<`, `>`, `&`, U+2028 and U+2029 as `\u` escapes. */
const escapeJsonGo = (text: string): string => escapeJson(text).replace(/[<>&\u2028\u2029]/g, (c) => unicodeEscape(c, false));

const replaceAll = (table: Readonly<Record<string, string>>) => {
  const pattern = new RegExp(`[${Object.keys(table).join('')}]`, 'g');
  return (text: string): string => text.replace(pattern, (c) => table[c] ?? c);
};

/**
 * How a base form can be written into a file: as it is, JSON-escaped (JSON.stringify, non-ASCII as
 * `\u` escapes in either case, PHP's `\/`, Go's HTML-safe escapes, and escaped twice, as JSON text
 * inside a JSON string), HTML-escaped (report.html's escapeMarkup, Python html.escape, Go
 * html.EscapeString, XML's `&apos;`, text-only `&<>`), and report.html's command line (HTML of JSON).
 */
const containerEscapes: readonly ((text: string) => string)[] = [
  (text) => text,
  escapeJson,
  (text) => escapeJsonAscii(text, false),
  (text) => escapeJsonAscii(text, true),
  (text) => escapeJsonAscii(text, false).replace(/\//g, '\\/'),
  escapeJsonGo,
  (text) => escapeJson(escapeJson(text)),
  escapeMarkup,
  replaceAll({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;' }),
  replaceAll({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' }),
  replaceAll({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' }),
  replaceAll({ '&': '&amp;', '<': '&lt;', '>': '&gt;' }),
  (text) => escapeMarkup(escapeJson(text)),
];
