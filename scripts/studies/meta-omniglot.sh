#!/usr/bin/env bash
# Status (2026-12-03): run in two parts (see docs/RESULTS.md, "Every few-shot classifier on Omniglot").
# The per-method Omniglot table of docs/RESULTS.md (issue #8): the sweep scripts/studies/meta-omniglot.yaml (every
# few-shot classifier, 5-way 1- and 5-shot, 600 s of meta-training each), then `meta-test` of every cell's last
# checkpoint on the same 600 fixed 5-way test episodes (15 queries per class, seed 0) for its K, and the same on
# MNIST and Fashion-MNIST test episodes (cross-domain: meta-trained on Omniglot; CROSS_DOMAINS="" skips them).
# Usage: scripts/studies/meta-omniglot.sh OUT DATA_DIR   (re-running continues: finished cells and scores are kept)
# SPEC=FILE runs another spec with the same command (a subset of the methods, say) into OUT.
# Writes OUT/cells/* (run directories), OUT/scores/<method>-<K>shot[-<dataset>].json and prints two Markdown tables.
set -euo pipefail
OUT=${1:?usage: meta-omniglot.sh OUT DATA_DIR}
DATA=${2:?usage: meta-omniglot.sh OUT DATA_DIR}
HERE=$(cd "$(dirname "$0")" && pwd)
ADAPTLAB="node ${ADAPTLAB_BIN:-$HERE/../../bin/adaptlab.js}"
export ADAPTLAB_DATA_DIR=$DATA
$ADAPTLAB sweep "${SPEC:-$HERE/meta-omniglot.yaml}" --out "$OUT" --concurrency "${CONCURRENCY:-2}" || echo "some cells failed: adaptlab sweep status $OUT" >&2
source "$HERE/score-cells.sh"
score_cells "$OUT" "" --ways 5 --queries 15 --episodes 600 --seed 0
for dataset in ${CROSS_DOMAINS-mnist fashion-mnist}; do
  score_cells "$OUT" "-$dataset" --dataset "$dataset" --ways 5 --queries 15 --episodes 600 --seed 0
done
node - "$OUT" <<'JS'
const { readFileSync, readdirSync } = require('node:fs');
const out = process.argv[2];
const rows = new Map();
for (const cell of readdirSync(`${out}/cells`)) {
  let c, s;
  try { c = JSON.parse(readFileSync(`${out}/cells/${cell}/config.json`, 'utf8')); s = JSON.parse(readFileSync(`${out}/cells/${cell}/summary.json`, 'utf8')); } catch { continue; }
  let t = null;
  try { t = JSON.parse(readFileSync(`${out}/scores/${c.meta.method}-${c.meta.shots}shot.json`, 'utf8')); } catch {}
  const r = rows.get(c.meta.method) ?? {};
  r[c.meta.shots] = { steps: s.steps, seconds: s.elapsedSeconds, acc: t ? `${(100 * t.accuracy).toFixed(2)} ± ${(100 * t.ci95).toFixed(2)}` : '–' };
  rows.set(c.meta.method, r);
}
console.log('| method | 1-shot % | steps | 5-shot % | steps |\n|---|---|---:|---|---:|');
for (const [m, r] of rows) console.log(`| ${m} | ${r[1]?.acc ?? '–'} | ${r[1]?.steps ?? '–'} | ${r[5]?.acc ?? '–'} | ${r[5]?.steps ?? '–'} |`);
const pct = (f) => { try { const t = JSON.parse(readFileSync(f, 'utf8')); return `${(100 * t.accuracy).toFixed(2)} ± ${(100 * t.ci95).toFixed(2)}`; } catch { return '–'; } };
console.log('\n| method (meta-trained on Omniglot) | MNIST 1-shot % | MNIST 5-shot % | Fashion-MNIST 1-shot % | Fashion-MNIST 5-shot % |\n|---|---|---|---|---|');
for (const m of rows.keys()) console.log(`| ${m} | ${[1, 5].map((k) => pct(`${out}/scores/${m}-${k}shot-mnist.json`)).join(' | ')} | ${[1, 5].map((k) => pct(`${out}/scores/${m}-${k}shot-fashion-mnist.json`)).join(' | ')} |`);
JS
