#!/usr/bin/env bash
# Builds the fuzzing corpus fuzz/corpus/<target>/ (git-ignored) from
#   * the small hand-made seeds committed in fuzz/seeds/<target>/, and
#   * slices of the public datasets in $RHOPT_DATASETS (default: ../shared/datasets, relative to
#     the repository root), which are not the project's to commit: heads, random 50-line windows,
#     and small self-consistent subgraphs (a range of vertex ids with the edges between them,
#     with and without their vertex lines) that parse and therefore reach build_problem and the
#     solver.
# The repository's own datasets/*.tum files seed the trajectory target too.
#
# Deterministic (fixed random seed); rerunning replaces the files it wrote and keeps whatever
# libFuzzer has added to the corpus since.
#
#   fuzz/seed_corpus.sh                      # datasets in ../shared/datasets
#   RHOPT_DATASETS=/path/to/datasets fuzz/seed_corpus.sh
set -euo pipefail

fuzz=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$fuzz")
datasets=${RHOPT_DATASETS:-$repo/../shared/datasets}
corpus=$fuzz/corpus
WINDOW=50   # lines per head/window
WINDOWS=4   # random windows per file
SPAN=20     # vertex ids per subgraph

if [[ ! -d $datasets ]]; then
    echo "seed_corpus.sh: no datasets at $datasets (set RHOPT_DATASETS)" >&2
    exit 1
fi

targets=(g2o trajectory weights_sidecar problem)
for t in "${targets[@]}"; do
    mkdir -p "$corpus/$t"
done
# Hand-made seeds; the problem target reads g2o files.
cp "$fuzz"/seeds/g2o/* "$corpus/g2o/"
cp "$fuzz"/seeds/g2o/* "$corpus/problem/"
cp "$fuzz"/seeds/trajectory/* "$corpus/trajectory/"
cp "$fuzz"/seeds/weights_sidecar/* "$corpus/weights_sidecar/"

RANDOM=6  # issue #6: a fixed seed makes the corpus reproducible

# head and $WINDOWS random windows of a text file, into directory $2 with name prefix $3.
slices() {
    local file=$1 dir=$2 prefix=$3 lines start k
    lines=$(wc -l <"$file")
    head -n "$WINDOW" "$file" >"$dir/$prefix-head"
    for ((k = 0; k < WINDOWS; k++)); do
        start=$((1 + (RANDOM * 32768 + RANDOM) % (lines > WINDOW ? lines - WINDOW : 1)))
        sed -n "$start,$((start + WINDOW - 1))p" "$file" >"$dir/$prefix-window$k"
    done
}

# The subgraph of ids [lo, lo+SPAN): its vertex lines, FIX lines and the edges between them.
subgraph() {
    awk -v lo="$1" -v hi="$(($1 + SPAN))" '
        /^VERTEX/ { if ($2 >= lo && $2 < hi) print; next }
        /^EDGE/   { if ($2 >= lo && $2 < hi && $3 >= lo && $3 < hi) print; next }
        /^FIX/    { if ($2 >= lo && $2 < hi) print }' "$2"
}

for file in "$datasets"/2d/*.g2o "$datasets"/3d/*.g2o; do
    [[ -f $file ]] || continue
    name=$(basename "$file" .g2o)
    slices "$file" "$corpus/g2o" "$name"
    sed -n "1,${WINDOW}{/^VERTEX/p}" "$file" >"$corpus/trajectory/$name-vertices"
    ids=$(awk '/^(VERTEX|EDGE)/ { m = ($2 > m ? $2 : m) } END { print m + 1 }' "$file")
    for lo in 0 $(((RANDOM * 32768 + RANDOM) % (ids > SPAN ? ids - SPAN : 1))); do
        sub=$name-sub$lo
        subgraph "$lo" "$file" >"$corpus/problem/$sub"
        grep '^EDGE' "$corpus/problem/$sub" >"$corpus/problem/$sub-edges" || true
        cp "$corpus/problem/$sub" "$corpus/g2o/$sub"
        # A weight file for the subgraph's edges (from to weight), and a sidecar of some of them.
        awk '/^EDGE/ { print $2, $3, (NR % 3 ? 1 : 0.01) }' "$corpus/problem/$sub" \
            >"$corpus/weights_sidecar/$sub-weights"
        awk '/^EDGE/ && NR % 4 == 0 { print n } /^EDGE/ { n++ }' "$corpus/problem/$sub" \
            >"$corpus/weights_sidecar/$sub-sidecar"
    done
done

for file in "$datasets"/ground-truth/* "$repo"/datasets/*.tum; do
    [[ -f $file ]] || continue
    slices "$file" "$corpus/trajectory" "$(basename "$file")"
done

# Empty slices (e.g. a subgraph with no edges) are kept: the empty input is a case too.
for t in "${targets[@]}"; do
    echo "$t: $(find "$corpus/$t" -type f | wc -l) files, $(du -sh "$corpus/$t" | cut -f1)"
done
