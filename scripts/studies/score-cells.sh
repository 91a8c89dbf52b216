# Sourced by the meta-learning study scripts: score every finished cell of a sweep once, with `adaptlab meta-test`.
# score_cells OUT SUFFIX ARGS...: for each cell under OUT/cells with a summary.json, run
#   $ADAPTLAB meta-test CELL --checkpoint latest --shots K ARGS... --json   (K: the shots the cell was trained with)
# into OUT/scores/<method>-<K>shot<SUFFIX>.json, skipping scores that exist; each is written under .tmp, then renamed.
score_cells() {
  local out=$1 suffix=$2 cell method shots score
  shift 2
  mkdir -p "$out/scores"
  for cell in "$out"/cells/*/; do
    [[ -s "$cell/summary.json" ]] || continue
    read -r method shots < <(node -e 'const m=require(process.argv[1]).meta;console.log(m.method, m.shots)' "$cell/config.json")
    score="$out/scores/$method-${shots}shot$suffix.json"
    [[ -s "$score" ]] && continue
    $ADAPTLAB meta-test "$cell" --checkpoint latest --shots "$shots" "$@" --json > "$score.tmp"
    mv "$score.tmp" "$score"
  done
}
