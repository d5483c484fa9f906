/** The shell of a self-contained page (report, dashboard): no scripts, no external assets, a CSP that forbids fetching. */
import { escapeMarkup as x } from '../markup.js';

/** `title` is text (escaped here); `css` and `body` are markup. */
export function htmlDocument(title: string, css: string, body: readonly string[]): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${x(title)}</title>`,
    `<style>${css}</style>`,
    '</head>',
    '<body>',
    ...body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
