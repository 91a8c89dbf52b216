#!/usr/bin/env bash
# The sinusoid table of docs/RESULTS.md (issue #8): the sweep scripts/studies/meta-sinusoid.yaml (every regression
# learner, K = 5 and 10, 300 s of meta-training each), then `meta-test` of each cell's last checkpoint on the same 600
# fixed test tasks (seed 0) for its K: MSE on 10 query points after the method's test-time adaptation (and the CNP's
# negative log-likelihood of them).
# Usage: scripts/studies/meta-sinusoid.sh OUT   (re-running continues: finished cells and scores are kept)
# CONCURRENCY=N cells at a time (default 2). Writes OUT/cells/*, OUT/scores/<method>-<K>shot.json, prints a Markdown table.
set -euo pipefail
OUT=${1:?usage: meta-sinusoid.sh OUT}
HERE=$(cd "$(dirname "$0")" && pwd)
ADAPTLAB="node ${ADAPTLAB_BIN:-$HERE/../../bin/adaptlab.js}"
$ADAPTLAB sweep "$HERE/meta-sinusoid.yaml" --out "$OUT" --concurrency "${CONCURRENCY:-2}" || echo "some cells failed: adaptlab sweep status $OUT" >&2
source "$HERE/score-cells.sh"
score_cells "$OUT" "" --queries 10 --episodes 600 --seed 0 --threads 1
node - "$OUT" <<'JS'
const { readFileSync, readdirSync } = require('node:fs');
const out = process.argv[2];
const rows = new Map();
for (const cell of readdirSync(`${out}/cells`)) {
  let c, s, t = null;
  try { c = JSON.parse(readFileSync(`${out}/cells/${cell}/config.json`, 'utf8')); s = JSON.parse(readFileSync(`${out}/cells/${cell}/summary.json`, 'utf8')); } catch { continue; }
  try { t = JSON.parse(readFileSync(`${out}/scores/${c.meta.method}-${c.meta.shots}shot.json`, 'utf8')); } catch {}
  const r = rows.get(c.meta.method) ?? {};
  const nll = t && t.nll !== undefined ? ` (NLL ${t.nll.toFixed(3)} ± ${t.nllCi95.toFixed(3)})` : '';
  r[c.meta.shots] = { steps: s.steps, mse: t ? `${t.mse.toFixed(3)} ± ${t.ci95.toFixed(3)}${nll}` : '–' };
  rows.set(c.meta.method, r);
}
console.log('| method | 5-shot MSE (± 95% CI) | meta-steps | 10-shot MSE | meta-steps |\n|---|---|---:|---|---:|');
for (const [m, r] of rows) console.log(`| ${m} | ${r[5]?.mse ?? '–'} | ${r[5]?.steps ?? '–'} | ${r[10]?.mse ?? '–'} | ${r[10]?.steps ?? '–'} |`);
JS
