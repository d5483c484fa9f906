/**
 * JSON told by syntax: a whole body must parse; a head cut at `sniffBytes` must be a prefix some JSON
 * text could continue, so a large document is not mistaken for prose because its end is missing.
 */

/** Which grammar slot the scanner is at. */
type Slot = 'value' | 'value-or-close' | 'key' | 'key-or-close' | 'colon' | 'comma-or-close' | 'end';

const literals = ['true', 'false', 'null'] as const;
const whitespace = new Set([' ', '\t', '\n', '\r']);
const escapes = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);
const wholeNumber = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
// A number the cut may have ended early: "-", "1.", "2e", "2e+".
const numberPrefix = /^-?(?:(?:0|[1-9]\d*)(?:\.\d*)?(?:[eE][+-]?\d*)?)?$/;

/** End of the string starting at `start` (after its closing quote); `text.length` when cut; -1 when invalid. */
function scanString(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const char = text.charCodeAt(i);
    if (char === 0x22) return i + 1;
    if (char < 0x20) return -1;
    if (char === 0x5c) {
      const next = text[i + 1];
      if (next === undefined) return text.length;
      if (next === 'u') {
        const hex = text.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]*$/.test(hex)) return -1;
        if (hex.length < 4) return text.length;
        i += 6;
        continue;
      }
      if (!escapes.has(next)) return -1;
      i += 2;
      continue;
    }
    i += 1;
  }
  return text.length;
}

/** End of the number or literal at `start`; -1 when invalid (a cut one counts when it reaches the end). */
function scanScalar(text: string, start: number): number {
  const first = text[start] ?? '';
  if (first === '-' || (first >= '0' && first <= '9')) {
    let end = start;
    while (end < text.length && /[-+.eE0-9]/.test(text[end] ?? '')) end += 1;
    const token = text.slice(start, end);
    if (end === text.length) return numberPrefix.test(token) ? end : -1;
    return wholeNumber.test(token) ? end : -1;
  }
  for (const word of literals) {
    const piece = text.slice(start, start + word.length);
    if (piece === word) return start + word.length;
    if (start + piece.length === text.length && word.startsWith(piece)) return text.length;
  }
  return -1;
}

/** True when `text` is JSON or the beginning of some JSON text (with or without whitespace around it). */
export function isJsonPrefix(text: string): boolean {
  const stack: string[] = [];
  let slot: Slot = 'value';
  const afterValue = (): Slot => (stack.length === 0 ? 'end' : 'comma-or-close');
  let i = 0;
  while (i < text.length) {
    const char = text[i] ?? '';
    if (whitespace.has(char)) {
      i += 1;
      continue;
    }
    if (slot === 'end') return false;
    if (slot === 'colon') {
      if (char !== ':') return false;
      slot = 'value';
      i += 1;
    } else if (slot === 'comma-or-close') {
      const open = stack.at(-1);
      if (char === ',') slot = open === '{' ? 'key' : 'value';
      else if ((char === '}' && open === '{') || (char === ']' && open === '[')) {
        stack.pop();
        slot = afterValue();
      } else return false;
      i += 1;
    } else if (slot === 'key' || slot === 'key-or-close') {
      if (char === '}' && slot === 'key-or-close') {
        stack.pop();
        slot = afterValue();
        i += 1;
      } else if (char === '"') {
        i = scanString(text, i);
        if (i < 0) return false;
        slot = 'colon';
      } else return false;
    } else if (char === ']' && slot === 'value-or-close') {
      stack.pop();
      slot = afterValue();
      i += 1;
    } else if (char === '{' || char === '[') {
      stack.push(char);
      slot = char === '{' ? 'key-or-close' : 'value-or-close';
      i += 1;
    } else {
      i = char === '"' ? scanString(text, i) : scanScalar(text, i);
      if (i < 0) return false;
      slot = afterValue();
    }
  }
  return true;
}

/** An object or array: the shapes a JSON export holds (a bare `42` or `"x"` is text). */
function isContainerStart(text: string): boolean {
  const first = text.trimStart()[0];
  return first === '{' || first === '[';
}

/** `complete`: the text is the whole body, so it must parse; otherwise a valid prefix is enough. */
export function looksLikeJson(text: string, complete: boolean): boolean {
  if (!isContainerStart(text)) return false;
  if (!complete) return isJsonPrefix(text);
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** At least two complete lines, each an object or array (blank lines aside); a cut last line is not judged. */
export function looksLikeNdjson(text: string, complete: boolean): boolean {
  const lines = text.split('\n');
  if (!complete) lines.pop();
  const values = lines.map((line) => line.trim()).filter((line) => line !== '');
  if (values.length < 2) return false;
  return values.every((line) => {
    if (!isContainerStart(line)) return false;
    try {
      JSON.parse(line);
      return true;
    } catch {
      return false;
    }
  });
}
