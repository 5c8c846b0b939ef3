#!/usr/bin/env bash
# Side-by-side benchmark: this project's dev cluster and upstream OpenStack Swift 2.38.3
# in the same shape on this machine (1 proxy with 2 workers, 4 devices, 3 replicas,
# tempauth, memcached; no background daemons), driven alternately by the same load
# generator, then one table of the medians and the ratios.
#
#   test/bench/vs_swift.sh [ROUNDS]        (default 2 rounds of every load on each cluster)
#
# Needs two tools that are not part of this repository (the benchmark harness of the
# project's reviewers): OBJBENCH, a Swift-API load generator (objbench.py), and
# SWIFT_BASELINE, a script that installs and starts upstream Swift
# (swift-baseline.sh DIR start|stop). Both default to ../shared/bench/ beside the checkout.
# Other settings: DURATION (seconds per phase, 15), OUT (results, /tmp/vs-swift),
# SWIFT_DIR (/tmp/swift-baseline), PORT (this cluster's proxy port, 18090).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
rounds=${1:-2}
objbench=${OBJBENCH:-$top/../shared/bench/objbench.py}
baseline=${SWIFT_BASELINE:-$top/../shared/bench/swift-baseline.sh}
duration=${DURATION:-15}
out=${OUT:-/tmp/vs-swift}
swift_dir=${SWIFT_DIR:-/tmp/swift-baseline}
port=${PORT:-18090}
[ -f "$objbench" ] || { echo "vs_swift: no load generator at $objbench (set OBJBENCH)" >&2; exit 2; }
[ -f "$baseline" ] || { echo "vs_swift: no Swift starter at $baseline (set SWIFT_BASELINE)" >&2; exit 2; }
mkdir -p "$out"
results="$out/results.jsonl"
: >"$results"
data=$(mktemp -d /tmp/swiftlike-bench.XXXXXX)
ours=(--data "$data" --port "$port" --base-port 26000)

cleanup() {
    "$top/bin/cluster" stop "${ours[@]}" >/dev/null 2>&1 || true
    bash "$baseline" "$swift_dir" stop >/dev/null 2>&1 || true
    rm -rf "$data"
}
trap cleanup EXIT

echo "vs_swift: starting upstream Swift ($swift_dir; installs it the first time)"
bash "$baseline" "$swift_dir" setup >"$out/swift-setup.log" 2>&1
bash "$baseline" "$swift_dir" start >"$out/swift-start.log" 2>&1
echo "vs_swift: starting swiftlike (proxy :$port, no daemons)"
"$top/bin/cluster" start --no-daemons "${ours[@]}" >"$out/swiftlike-start.log" 2>&1

run() {   # run LABEL AUTH_URL WATCH SIZE CONCURRENCY PHASES [objbench args...]
    local label=$1 url=$2 watch=$3 size=$4 conc=$5 phases=$6
    shift 6
    echo "vs_swift: $label $size c$conc $phases"
    python3 "$objbench" --auth-url "$url" --user test:tester --key testing --size "$size" \
        --concurrency "$conc" --phases "$phases" --watch "$watch" --json "$results" \
        --label "$label" --container "bench-$label-$size-$RANDOM" "$@" >>"$out/objbench.log" 2>&1 \
        || echo "vs_swift: objbench failed for $label $size (see $out/objbench.log)"
}
# only this run's servers count (their configs are under $data; each cluster's own memcached)
swiftlike=("swiftlike" "http://127.0.0.1:$port/auth/v1.0" "swiftlike-.*$data/|memcached.* -p 26091 ")
upstream=("swift" "http://127.0.0.1:18080/auth/v1.0" "$swift_dir/swift-venv/bin/swift-|memcached.* -p 21211 ")

for round in $(seq 1 "$rounds"); do
    echo "vs_swift: round $round of $rounds"
    for load in "4K 32 put,get,delete --duration $duration" "1M 4 put,get,delete --duration $duration" \
                "64M 1 put,get,delete --count 8"; do
        # shellcheck disable=SC2086   # a load is its words
        set -- $load
        # who goes first alternates from round to round
        if [ $((round % 2)) = 1 ]; then
            run "${swiftlike[@]}" "$@"; run "${upstream[@]}" "$@"
        else
            run "${upstream[@]}" "$@"; run "${swiftlike[@]}" "$@"
        fi
    done
done
python3 "$top/test/bench/vs_swift_table.py" "$results" | tee "$out/table.md"
