/** The page shell of the dashboard: self-contained HTML (no scripts, no external assets, a CSP that forbids fetching). */
import { htmlDocument } from '../evidence/html-document.js';
import { escapeMarkup as x } from '../markup.js';

export function page(title: string, body: string, footer: string): string {
  return htmlDocument(title, css, [body, `<footer>${footer}</footer>`]);
}

export function badge(status: string): string {
  return `<span class="badge badge-${x(status)}">${x(status.replace('-', ' '))}</span>`;
}

export function table(head: readonly string[], rows: readonly string[], cls = ''): string {
  return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${head.map((h) => `<th>${x(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('\n')}</tbody></table>`;
}

const css = `
:root{color-scheme:light;--fg:#212121;--muted:#616161;--line:#e0e0e0}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);max-width:1200px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:4px 0 8px}h2{font-size:18px;border-bottom:2px solid var(--line);padding-bottom:4px;margin-top:28px}
.kicker{color:var(--muted);margin:0;font-size:12px;text-transform:uppercase;letter-spacing:.05em}
.lead{font-size:15px}.muted{color:var(--muted);font-size:12px}
.warning{background:#fff3e0;border-left:4px solid #ef6c00;padding:8px 12px}
table{border-collapse:collapse;width:100%;margin:8px 0}th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:middle}
thead th{background:#f5f5f5}table.kv th{width:180px;background:#fafafa;text-align:left}
tr.overdue td{background:#ffebee}tr.overdue td:first-child{border-left:4px solid #c62828}
tr.invalid td{background:#fce4ec}tr.due-soon td:first-child,tr.stale td:first-child{border-left:4px solid #ef6c00}
code{font:12px/1.3 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;word-break:break-all}
.badge{display:inline-block;border-radius:3px;padding:1px 8px;font-weight:600;font-size:12px;color:#fff;background:#546e7a;white-space:nowrap}
.badge-ok{background:#2e7d32}.badge-overdue{background:#c62828}.badge-due-soon{background:#ef6c00}.badge-stale{background:#f9a825;color:#212121}
.badge-never-run{background:#6a1b9a}.badge-invalid{background:#ad1457}.badge-no-file{background:#757575}
.verdict-PASS{color:#2e7d32;font-weight:600}.verdict-FAIL{color:#c62828;font-weight:600}.verdict-ABORTED{color:#6a1b9a;font-weight:600}
.verdict-PARTIAL{color:#ef6c00;font-weight:600}.verdict-INCONCLUSIVE{color:#546e7a;font-weight:600}
.evidence-invalid{color:#c62828;font-weight:600}.evidence-untrusted,.evidence-unverified{color:#ef6c00}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:16px}
figure{margin:0}figcaption{color:var(--muted);font-size:12px}
ul.notes{margin:4px 0;padding-left:18px}
footer{margin-top:32px;color:var(--muted);font-size:12px;border-top:1px solid var(--line);padding-top:8px}
@page{size:A4 landscape;margin:12mm}
@media print{body{max-width:none;padding:0;font-size:10pt}*{-webkit-print-color-adjust:exact;print-color-adjust:exact}tr,figure{break-inside:avoid}}
`.trim();
