/**
 * XML, HTML and SVG told by their prolog and root element: the XML declaration, comments, processing
 * instructions and the doctype are skipped, then the first element names the kind.
 */

/** Elements that open an HTML document or fragment (a root XML vocabulary rarely uses these names). */
const htmlElements = new Set([
  'html', 'head', 'body', 'meta', 'title', 'link', 'script', 'style', 'div', 'span', 'p', 'a', 'b', 'i', 'br', 'img',
  'table', 'ul', 'ol', 'form', 'section', 'article', 'header', 'footer', 'nav', 'main', 'pre',
  'h1', 'h2', 'h3', 'h4', 'h5', 'h6',
]);

const comment = /^<!--[\s\S]*?-->/;
const instruction = /^<\?[\s\S]*?\?>/;
const doctype = /^<!DOCTYPE\s+([A-Za-z_][\w:.-]*)[^[>]*(?:\[[\s\S]*?\]\s*)?>/i;
const element = /^<([A-Za-z_][\w:.-]*)(?:\s[^<>]*)?\/?>/;

/** Local part of a possibly prefixed name (`svg:svg` → `svg`), lower case. */
function localName(name: string): string {
  return (name.split(':').at(-1) ?? name).toLowerCase();
}

/** `xml`, `html` or `svg` when the text is markup, otherwise undefined. */
export function sniffMarkup(text: string): 'xml' | 'html' | 'svg' | undefined {
  let rest = text.trimStart();
  const declared = rest.startsWith('<?xml');
  let doctypeName: string | undefined;
  for (;;) {
    const skipped = comment.exec(rest) ?? instruction.exec(rest);
    const type = skipped ? undefined : doctype.exec(rest);
    if (type) doctypeName = localName(type[1] ?? '');
    const found = skipped ?? type;
    if (!found) break;
    rest = rest.slice(found[0].length).trimStart();
  }
  if (doctypeName === 'html') return 'html';
  if (doctypeName === 'svg') return 'svg';
  const root = element.exec(rest);
  const name = root ? localName(root[1] ?? '') : undefined;
  if (name === 'svg') return 'svg';
  if (name !== undefined && htmlElements.has(name)) return 'html';
  // The root may lie past the head (a long prolog): the declaration alone says XML. Without it, a
  // closing tag is asked for too, so a chat log of `<alice> hi` lines stays text.
  if (declared) return 'xml';
  if (root && (root[0].endsWith('/>') || rest.includes('</'))) return 'xml';
  return undefined;
}
