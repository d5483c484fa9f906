/** Escaping for the XML and HTML renderers. */
import { revealInvisible } from './visible-text.js';

// What is left that XML 1.0 forbids, even escaped, once controls are revealed: U+FFFE/U+FFFF and lone surrogates.
const invalidXmlChar = /[\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const special: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Text safe inside an element or a quoted attribute of XML or HTML: controls and bidi controls shown as
 * `<U+202E>` (revealInvisible), characters XML forbids as U+FFFD.
 */
export function escapeMarkup(text: string): string {
  return revealInvisible(text).replace(invalidXmlChar, '\ufffd').replace(/[&<>"']/g, (c) => special[c] ?? c);
}
