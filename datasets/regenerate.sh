#!/usr/bin/env bash
# Remakes every file in datasets/ from the generators (seeded, so the files come out identical).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
rhopt=target/release/rhopt
"$rhopt" generate --kind manhattan --poses 1000 --seed 1 \
    -o datasets/manhattan1000.g2o --ground-truth datasets/manhattan1000_ground_truth.tum
"$rhopt" generate --kind sphere --rings 20 --poses-per-ring 25 --seed 1 \
    -o datasets/sphere500.g2o --ground-truth datasets/sphere500_ground_truth.tum
