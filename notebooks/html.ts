/**
 * The report page around the charts: one self-contained HTML document (inline CSS, no script,
 * no external resources) so a report can be mailed, archived or opened offline.
 */
import { escapeHtml } from './svg.js';

/** A table cell: text is escaped; numbers are printed with `digits` decimals. */
export type Cell = string | number;

/** An HTML table; numeric cells are right-aligned. */
export function table(headers: readonly string[], rows: readonly (readonly Cell[])[], digits = 3): string {
  const cell = (c: Cell): string => (typeof c === 'number' ? `<td class="num">${Number.isInteger(c) ? c : c.toFixed(digits)}</td>` : `<td>${escapeHtml(c)}</td>`);
  return `<table><thead><tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map(cell).join('')}</tr>`).join('')}</tbody></table>`;
}

/** A paragraph of escaped text. */
export function paragraph(text: string): string {
  return `<p>${escapeHtml(text)}</p>`;
}

/** A section with a heading and already-rendered content. */
export function section(title: string, ...content: string[]): string {
  return `<section><h2>${escapeHtml(title)}</h2>${content.join('\n')}</section>`;
}

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; margin: 24px auto; max-width: 920px; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.meta { color: #666; font-size: 12px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }
th, td { border-bottom: 1px solid #e4e4e4; padding: 4px 10px; text-align: left; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f6f6f6; }
figure { margin: 8px 0 18px; } figure.inline { display: inline-block; margin-right: 24px; }
figcaption { font-size: 12px; color: #444; } .key { margin-right: 12px; white-space: nowrap; }
svg.chart text { font: 11px system-ui, sans-serif; fill: #333; } svg.chart .title { font-size: 13px; font-weight: 600; }
svg.chart .label { font-size: 12px; fill: #555; } svg.chart .cell { font-size: 20px; font-weight: 600; } svg.chart .strong { font-weight: 700; }
svg.chart .grid { stroke: #eee; } svg.chart .axis { stroke: #888; }
`;

/** The whole document: title, a meta line (what ran, when) and the sections. */
export function page(title: string, meta: string, sections: readonly string[]): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<div class="meta">${escapeHtml(meta)}</div>
${sections.join('\n')}
</body>
</html>
`;
}
