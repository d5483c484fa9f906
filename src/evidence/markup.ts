/** Escaping for the XML and HTML renderers. */

// XML 1.0 forbids most C0 controls, U+FFFE/U+FFFF and lone surrogates, even escaped.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const invalidXmlChar = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const special: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text safe inside an element or a quoted attribute of XML or HTML; characters XML forbids become U+FFFD. */
export function escapeMarkup(text: string): string {
  return text.replace(invalidXmlChar, '\ufffd').replace(/[&<>"']/g, (c) => special[c] ?? c);
}
