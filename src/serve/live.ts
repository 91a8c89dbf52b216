// The dashboard's live curve: a block of markup and a small inline script that draws metrics.jsonl lines as they arrive.
import { escapeHtml, type RawBlock } from '../report/html.js';

const X_FIELDS = ['step', 'epoch', 'iteration', 'round'];
const NOT_Y = ['step', 'epoch', 'iteration', 'round', 'seconds', 'elapsed', 'elapsedSeconds', 'time', 'seed', 'ci95', 'episodes'];

/** The field the live curve follows: `loss` when the records have it, else their first other numeric field. */
export function liveField(metrics: Record<string, unknown>[]): string {
  const numeric = (k: string): boolean => metrics.some((m) => typeof m[k] === 'number');
  if (numeric('loss')) return 'loss';
  for (const m of metrics) for (const [k, v] of Object.entries(m)) if (typeof v === 'number' && !NOT_Y.includes(k)) return k;
  return '';
}

/** The live section: an empty SVG the script fills from the server-sent events of `eventsUrl`. */
export function liveBlock(eventsUrl: string, field: string): RawBlock {
  return {
    kind: 'raw',
    html: `<div id="live" class="no-print" data-events="${escapeHtml(eventsUrl)}" data-field="${escapeHtml(field)}" data-points="0">
<p id="live-status">Connecting to the run's metrics…</p>
<svg id="live-chart" xmlns="http://www.w3.org/2000/svg" width="560" height="260" viewBox="0 0 560 260" role="img" aria-label="live learning curve">
<rect x="0" y="0" width="560" height="260" fill="white"/>
<rect x="60" y="10" width="480" height="210" fill="none" stroke="#ccc"/>
<path class="live-line" d="" fill="none" stroke="#1f77b4" stroke-width="1.5"/>
<text class="y-max" x="54" y="16" text-anchor="end" font-size="11"></text>
<text class="y-min" x="54" y="222" text-anchor="end" font-size="11"></text>
<text class="x-min" x="60" y="236" text-anchor="start" font-size="11"></text>
<text class="x-max" x="540" y="236" text-anchor="end" font-size="11"></text>
<text class="x-title" x="300" y="254" text-anchor="middle" font-size="12"></text>
<text class="y-title" x="14" y="115" text-anchor="middle" font-size="12" transform="rotate(-90 14 115)"></text>
</svg></div>`,
  };
}

/** Plain JavaScript, inlined in the run page: no library, nothing fetched but the run's own event stream. */
export const LIVE_SCRIPT = `
(function () {
  var el = document.getElementById('live');
  if (!el || typeof EventSource === 'undefined') return;
  var X = ${JSON.stringify(X_FIELDS)}, NOT_Y = ${JSON.stringify(NOT_Y)};
  var field = el.dataset.field, xField = null, pts = [], pending = false, finished = false;
  var svg = document.getElementById('live-chart'), line = svg.querySelector('.live-line'), status = document.getElementById('live-status');
  function text(cls, v) { svg.querySelector('.' + cls).textContent = v; }
  function fmt(v) { return Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : String(Math.round(v * 1e4) / 1e4); }
  function draw() {
    pending = false;
    el.dataset.points = String(pts.length);
    var last = pts[pts.length - 1];
    status.textContent = (finished ? 'Finished: ' : 'Following metrics.jsonl live: ') + pts.length + ' points' + (last ? ', last ' + (xField || 'record') + ' ' + last[0] + ', ' + field + ' ' + fmt(last[1]) : '');
    if (pts.length === 0) { line.setAttribute('d', ''); return; }
    var x0 = pts[0][0], x1 = x0, y0 = pts[0][1], y1 = y0;
    for (var i = 1; i < pts.length; i++) { var p = pts[i]; if (p[0] < x0) x0 = p[0]; if (p[0] > x1) x1 = p[0]; if (p[1] < y0) y0 = p[1]; if (p[1] > y1) y1 = p[1]; }
    if (x1 === x0) x1 = x0 + 1; if (y1 === y0) { y1 = y0 + 1; }
    var d = '';
    for (var j = 0; j < pts.length; j++) {
      var sx = 60 + (480 * (pts[j][0] - x0)) / (x1 - x0), sy = 220 - (210 * (pts[j][1] - y0)) / (y1 - y0);
      d += (j ? 'L' : 'M') + sx.toFixed(1) + ',' + sy.toFixed(1);
    }
    line.setAttribute('d', d);
    text('y-max', fmt(y1)); text('y-min', fmt(y0)); text('x-min', fmt(x0)); text('x-max', fmt(x1));
    text('x-title', xField || 'record'); text('y-title', field);
  }
  function later() { if (!pending) { pending = true; requestAnimationFrame(draw); } }
  var es = new EventSource(el.dataset.events);
  es.onmessage = function (e) {
    var r; try { r = JSON.parse(e.data); } catch (err) { return; }
    if (!r || typeof r !== 'object') return;
    if (!field) { for (var k in r) { if (typeof r[k] === 'number' && NOT_Y.indexOf(k) < 0) { field = k; break; } } }
    if (xField === null) { for (var q = 0; q < X.length; q++) { if (typeof r[X[q]] === 'number') { xField = X[q]; break; } } if (xField === null) xField = ''; }
    var y = r[field];
    if (typeof y !== 'number' || !isFinite(y)) return;
    var x = xField ? r[xField] : pts.length + 1;
    if (typeof x !== 'number') return;
    pts.push([x, y]);
    later();
  };
  es.addEventListener('reset', function () { pts = []; later(); });
  es.addEventListener('finished', function () { finished = true; es.close(); later(); });
  es.onerror = function () { if (!finished) status.textContent = 'Reconnecting to the run\\'s metrics…'; };
})();
`;
