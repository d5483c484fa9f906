/**
 * Characters that change what text shows without being seen themselves: C0 controls other than tab and
 * line feed (ESC starts terminal escape sequences, CR rewrites a line), DEL, C1 controls, and the Unicode
 * bidirectional controls (U+202E makes the text after it read backwards). Every renderer of drillbook —
 * the HTML report and dashboard, JUnit, Markdown, the plan, validation messages, terminal tables — shows
 * them as `<U+202E>` through `revealInvisible`, so no text can hide what it says or reorder a report.
 */

// Also what validation refuses in every scalar of a scenario.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const controlCharacterPattern = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
/** LRM, RLM, the Arabic letter mark, embeddings and overrides (U+202A–U+202E) and isolates (U+2066–U+2069). */
export const bidiControlPattern = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const invisible = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** `U+202E` for a character. */
export function codePoint(character: string): string {
  return `U+${(character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** `text` with every control and bidi control written as `<U+XXXX>`; tab and line feed stay as they are. */
export function revealInvisible(text: string): string {
  return text.replace(invisible, (character) => `<${codePoint(character)}>`);
}
