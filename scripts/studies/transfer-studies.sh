#!/usr/bin/env bash
# The transfer-learning studies of docs/RESULTS.md (issue #9), as plain adaptlab commands: surgical fine-tuning
# block x shift on Fashion-MNIST, LP vs FT vs LP-FT in and out of distribution, label-free pre-training on Omniglot,
# and transferability scores against fine-tuned accuracy. Usage: scripts/studies/transfer-studies.sh OUT DATA_DIR [STUDY...]
# STUDY: surgical lpft labelfree transferability (default: all). Each command's JSON lands in OUT/<name>.json;
# OUT/commands.log lists every command with its wall-clock. Tabulate with scripts/studies/tabulate-transfer.mjs OUT.
set -euo pipefail
OUT=${1:?usage: transfer-studies.sh OUT DATA_DIR [STUDY...]}
DATA=${2:?usage: transfer-studies.sh OUT DATA_DIR [STUDY...]}
shift 2
STUDIES=${*:-surgical lpft labelfree transferability}
ADAPTLAB="node ${ADAPTLAB_BIN:-$(cd "$(dirname "$0")/../.." && pwd)/bin/adaptlab.js}"
mkdir -p "$OUT"

# run NAME ARGS...: skip when OUT/NAME.json exists (the script resumes), else run, time and record the command
run() {
  local name=$1; shift
  [[ -s "$OUT/$name.json" ]] && return 0
  local t0; t0=$(date +%s.%N)
  $ADAPTLAB "$@" --json --data-dir "$DATA" > "$OUT/$name.json.tmp"
  mv "$OUT/$name.json.tmp" "$OUT/$name.json"
  printf '%s\t%.1f s\tadaptlab %s\n' "$name" "$(echo "$(date +%s.%N) - $t0" | bc)" "$*" >> "$OUT/commands.log"
}

for study in $STUDIES; do case $study in
surgical)
  # source: a Conv-4 trained on the Fashion-MNIST train set; target: 1000 shifted training examples
  run src-fmnist pretrain --dataset fashion-mnist --model conv4 --epochs 3 --seed 0 --out "$OUT/src-fmnist"
  for shift in corruption:gaussian_noise:5 label-permutation subpopulation; do
    for strat in surgical:block1 surgical:block2 surgical:block3 surgical:block4 surgical:head full; do
      run "surgical_${shift//:/-}_${strat//:/-}" finetune "$OUT/src-fmnist" --target fashion-mnist --shift "$shift" --strategy "$strat" \
        --train-size 1000 --epochs 5 --seeds 3 --test-size 2000 --lr-grid 1e-2,1e-3
    done
  done ;;
lpft)
  # source: Omniglot background alphabets (supervised); target: MNIST digits; OOD: the same digits with Gaussian noise (severity 3)
  run src-omniglot-supervised pretrain --dataset omniglot --objective supervised --model conv4 --steps 1500 --seed 0 --out "$OUT/src-omniglot-supervised"
  for strat in linear-probe full lp-ft; do
    run "lpft_${strat}" finetune "$OUT/src-omniglot-supervised" --target mnist --strategy "$strat" --train-size 1000 --epochs 10 --seeds 3 --test-size 2000
  done ;;
labelfree)
  # the same Conv-4 and the same number of optimiser steps for every objective; --epochs 0 is the random initialisation
  run src-omniglot-supervised pretrain --dataset omniglot --objective supervised --model conv4 --steps 1500 --seed 0 --out "$OUT/src-omniglot-supervised"
  run src-omniglot-rotation pretrain --dataset omniglot --objective rotation --model conv4 --steps 1500 --seed 0 --out "$OUT/src-omniglot-rotation"
  run src-omniglot-simclr pretrain --dataset omniglot --objective simclr --model conv4 --steps 1500 --seed 0 --out "$OUT/src-omniglot-simclr"
  run src-omniglot-simclr-1alphabet pretrain --dataset omniglot --alphabets Latin --objective simclr --model conv4 --steps 1500 --seed 0 --out "$OUT/src-omniglot-simclr-1alphabet"
  run src-random pretrain --dataset omniglot --model conv4 --epochs 0 --seed 0 --out "$OUT/src-random"
  for src in supervised rotation simclr simclr-1alphabet; do
    run "labelfree_${src}" finetune "$OUT/src-omniglot-$src" --target omniglot --strategy linear-probe --shots 10 --epochs 20 --seeds 3 --lr-grid 1e-2,3e-3,1e-3
  done
  run labelfree_random finetune "$OUT/src-random" --target omniglot --strategy linear-probe --shots 10 --epochs 20 --seeds 3 --lr-grid 1e-2,3e-3,1e-3 ;;
transferability)
  # every source checkpoint above, scored on MNIST before fine-tuning, then fully fine-tuned on it
  srcs=(src-omniglot-supervised src-omniglot-rotation src-omniglot-simclr src-omniglot-simclr-1alphabet src-random src-fmnist)
  paths=(); for s in "${srcs[@]}"; do paths+=("$OUT/$s"); done
  run transferability_scores estimate "${paths[@]}" --target mnist --size 1000
  for s in "${srcs[@]}"; do
    run "transferability_ft_${s}" finetune "$OUT/$s" --target mnist --strategy full --train-size 1000 --epochs 10 --seeds 3 --lr-grid 1e-3 --test-size 2000
  done ;;
*) echo "unknown study $study" >&2; exit 2 ;;
esac; done
