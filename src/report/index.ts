// Reports: charts rendered to inline SVG, self-contained HTML pages, and the pages of run directories.
export * from './charts.js';
export * from './html.js';
export * from './images.js';
export * from './run-report.js';
