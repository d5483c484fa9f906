/** Small HTML builders shared by the report's sections. Every text goes through escapeMarkup. */
import { escapeMarkup as x } from '../markup.js';

export function section(title: string, body: string): string {
  const id = title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  return `<section id="${id}"><h2>${x(title)}</h2>\n${body}\n</section>`;
}

export function table(head: readonly string[], rows: readonly (readonly string[])[], cls = ''): string {
  const thead = head.some(Boolean) ? `<thead><tr>${head.map((h) => `<th>${x(h)}</th>`).join('')}</tr></thead>` : '';
  const body = rows.map((row) => `<tr>${row.map((cell) => (cell.startsWith('<th') ? cell : `<td>${cell}</td>`)).join('')}</tr>`).join('\n');
  return `<table${cls ? ` class="${cls}"` : ''}>${thead}<tbody>${body}</tbody></table>`;
}

export function status(value: string): string {
  return `<span class="status status-${x(value.replace(/[^A-Za-z0-9-]+/g, '-'))}">${x(value)}</span>`;
}

export function code(text: string): string {
  return `<code>${x(text)}</code>`;
}

export function digest(hex: string): string {
  return `<code class="digest">${x(hex)}</code>`;
}
