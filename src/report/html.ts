// Self-contained HTML pages from sections of blocks (charts, tables, facts, code, image rows), with print CSS.
import type { Chart } from './charts.js';
import { pngDataUri, type SampleImage } from './images.js';

/** A table: headers and rows of cells (numbers are right-aligned). */
export interface TableBlock {
  kind: 'table';
  title?: string;
  caption?: string;
  headers: string[];
  rows: (string | number | null)[][];
}

/** Name–value pairs (provenance, a summary). */
export interface FactsBlock {
  kind: 'facts';
  title?: string;
  facts: [string, string][];
}

/** A paragraph of plain text. */
export interface TextBlock {
  kind: 'text';
  text: string;
}

/** Preformatted text: a command line, a JSON config. */
export interface CodeBlock {
  kind: 'code';
  title?: string;
  code: string;
}

/** A row of pictures (sample episodes, inputs before and after a shift). */
export interface ImagesBlock {
  kind: 'images';
  title: string;
  caption?: string;
  images: SampleImage[];
}

/** Markup made by adaptlab itself (the dashboard's live chart); never built from file contents. */
export interface RawBlock {
  kind: 'raw';
  html: string;
}

export type Block = Chart | TableBlock | FactsBlock | TextBlock | CodeBlock | ImagesBlock | RawBlock;

/** A titled part of a page; a lecture report is several of them, one per claim. */
export interface Section {
  title: string;
  id?: string;
  blocks: Block[];
}

export interface Page {
  title: string;
  subtitle?: string;
  /** short labels beside the title: a status, a kind */
  badges?: string[];
  sections: Section[];
  /** a line at the bottom (what made the page, when) */
  footer?: string;
}

/** Options for pages served by the dashboard: a navigation bar and an inline script (a report file has neither). */
export interface PageOptions {
  nav?: { href: string; label: string }[];
  script?: string;
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escape text for HTML content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESC[c]!);
}

/** A number for a table: integers as they are, others to 4 significant digits (small and large ones in exponent form). */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(3);
  return String(Number(v.toPrecision(4)));
}

function cell(v: string | number | null): string {
  if (v === null) return '<td class="none">–</td>';
  if (typeof v === 'number') return `<td class="num">${escapeHtml(formatNumber(v))}</td>`;
  return `<td>${escapeHtml(v)}</td>`;
}

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'section';
}

function renderBlock(b: Block): string {
  switch (b.kind) {
    case 'chart':
      return `<figure class="chart"><figcaption class="title">${escapeHtml(b.title)}</figcaption>${b.svg}${b.caption ? `<figcaption>${escapeHtml(b.caption)}</figcaption>` : ''}</figure>`;
    case 'table':
      return `<figure class="table">${b.title ? `<figcaption class="title">${escapeHtml(b.title)}</figcaption>` : ''}<table><thead><tr>${b.headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${b.rows.map((r) => `<tr>${r.map(cell).join('')}</tr>`).join('')}</tbody></table>${b.caption ? `<figcaption>${escapeHtml(b.caption)}</figcaption>` : ''}</figure>`;
    case 'facts':
      return `<figure class="facts">${b.title ? `<figcaption class="title">${escapeHtml(b.title)}</figcaption>` : ''}<dl>${b.facts.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl></figure>`;
    case 'text':
      return `<p>${escapeHtml(b.text)}</p>`;
    case 'code':
      return `<figure class="code">${b.title ? `<figcaption class="title">${escapeHtml(b.title)}</figcaption>` : ''}<pre><code>${escapeHtml(b.code)}</code></pre></figure>`;
    case 'images':
      return `<figure class="images"><figcaption class="title">${escapeHtml(b.title)}</figcaption><div class="grid">${b.images.map((im) => `<div class="sample"><img alt="${escapeHtml(im.label)}" src="${pngDataUri(im)}"><span>${escapeHtml(im.label)}</span></div>`).join('')}</div>${b.caption ? `<figcaption>${escapeHtml(b.caption)}</figcaption>` : ''}</figure>`;
    case 'raw':
      return b.html;
  }
}

const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font: 14px/1.45 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1a1a1a; margin: 0; background: #f6f7f9; }
main { max-width: 1040px; margin: 0 auto; padding: 20px 28px 40px; background: white; min-height: 100vh; }
nav { background: #23272f; padding: 8px 28px; }
nav a { color: #e8eaee; text-decoration: none; margin-right: 18px; font-weight: 600; }
nav a:hover { text-decoration: underline; }
h1 { font-size: 22px; margin: 6px 0 2px; }
h2 { font-size: 17px; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 1px solid #e3e5e8; }
.subtitle { color: #555; margin: 0 0 8px; }
.badge { display: inline-block; font-size: 12px; padding: 1px 8px; border-radius: 10px; background: #e8eef8; color: #1f4e8c; margin-right: 6px; vertical-align: middle; }
.badge.finished { background: #e3f4e6; color: #1d6b2f; }
.badge.running { background: #fff3d6; color: #8a5a00; }
.badge.stopped { background: #fbe4e4; color: #8c1f1f; }
figure { margin: 12px 0 18px; }
figure.chart { display: inline-block; vertical-align: top; margin-right: 18px; max-width: 100%; }
figure.chart svg { max-width: 100%; height: auto; display: block; }
figcaption { color: #555; font-size: 12.5px; max-width: 640px; margin-top: 4px; }
figcaption.title { color: #1a1a1a; font-weight: 600; font-size: 13.5px; margin: 0 0 6px; }
figure.table { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; font-size: 13px; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e6e6e6; text-align: left; vertical-align: top; }
th { background: #f3f4f6; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.none { color: #999; text-align: center; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 3px 16px; margin: 0; font-size: 13px; }
dt { color: #555; }
dd { margin: 0; word-break: break-word; font-variant-numeric: tabular-nums; }
pre { background: #f3f4f6; padding: 10px 12px; border-radius: 4px; overflow-x: auto; font-size: 12.5px; white-space: pre-wrap; word-break: break-all; }
.grid { display: flex; flex-wrap: wrap; gap: 8px; }
.sample { display: flex; flex-direction: column; align-items: center; font-size: 11px; color: #555; }
.sample img { width: 64px; height: 64px; image-rendering: pixelated; border: 1px solid #ddd; }
footer { margin-top: 32px; color: #777; font-size: 12px; }
@page { margin: 14mm; }
@media print {
  body { background: white; font-size: 11pt; }
  nav, .no-print { display: none !important; }
  main { max-width: none; padding: 0; min-height: 0; }
  h2 { break-after: avoid; }
  figure, tr, .sample { break-inside: avoid; }
  figure.facts, figure.table { break-inside: auto; }
  figure.table { overflow: visible; }
  table { font-size: 9pt; }
  pre { white-space: pre-wrap; }
  a { color: inherit; text-decoration: none; }
}
`;

/**
 * A whole HTML document: inline CSS (with print rules), the blocks of each section, no external resource of any
 * kind — charts are inline SVG, pictures data URIs, fonts the system's — so the file opens offline and prints.
 */
export function renderPage(page: Page, opts: PageOptions = {}): string {
  const badges = (page.badges ?? []).map((b) => `<span class="badge ${escapeHtml(slug(b))}">${escapeHtml(b)}</span>`).join('');
  const sections = page.sections.filter((s) => s.blocks.length > 0).map((s) => `<section id="${escapeHtml(s.id ?? slug(s.title))}"><h2>${escapeHtml(s.title)}</h2>${s.blocks.map(renderBlock).join('\n')}</section>`);
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(page.title)}</title>`,
    '<link rel="icon" href="data:,">',
    `<style>${CSS}</style>`,
    '</head><body>',
    opts.nav?.length ? `<nav>${opts.nav.map((n) => `<a href="${escapeHtml(n.href)}">${escapeHtml(n.label)}</a>`).join('')}</nav>` : '',
    '<main>',
    `<header><h1>${escapeHtml(page.title)} ${badges}</h1>${page.subtitle ? `<p class="subtitle">${escapeHtml(page.subtitle)}</p>` : ''}</header>`,
    ...sections,
    page.footer ? `<footer>${escapeHtml(page.footer)}</footer>` : '',
    '</main>',
    opts.script ? `<script>${opts.script.replace(/<\/script/gi, '<\\/script')}</script>` : '',
    '</body></html>',
    '',
  ].join('\n');
}
