#!/usr/bin/env bash
# Installs what the benchmarks need, then runs them in release mode.
#
#   ./run-benchmarks.sh                      # every benchmark
#   ./run-benchmarks.sh --target SQLiteApply # extra arguments go to `benchmark`
#   ./run-benchmarks.sh --check-thresholds   # compare with Thresholds/<swift>/: exit 0 within, 2 worse, 4 only better
#   ./run-benchmarks.sh --update-thresholds  # record this run's p90s in Thresholds/<swift>/, then commit them
#
# Needs Swift 6.3 or later: the benchmark package (ordo-one/benchmark 1.38.1)
# collects malloc statistics with its malloc-interposer package there, so no
# jemalloc is needed. (On Swift 6.2 and earlier it would use jemalloc through
# package-jemalloc and libjemalloc-dev instead; this package does not support
# that: it asks for the MallocInterposer trait, which only 6.3+ manifests have.)
#
# Thresholds, as swift-nio keeps them: Thresholds/<swift major.minor>/ holds
# the p90 of each benchmark's key metrics, and each benchmark's configuration
# (`thresholds:`) says how far a run may stray from it. A run better than the
# tolerance fails the check too (exit 4): if the gain is real, update and
# commit the thresholds with the change that made it.
#
# The full output is kept in .build/benchmark-results/ (gitignored).
set -euo pipefail
cd "$(dirname "$0")"

mode=run
case "${1:-}" in
    --check-thresholds) mode=check; shift ;;
    --update-thresholds) mode=update; shift ;;
esac

# System packages: GRDB links the system SQLite; python3 sorts the threshold files.
needed=()
dpkg -s libsqlite3-dev >/dev/null 2>&1 || needed+=(libsqlite3-dev)
[ "$mode" != update ] || command -v python3 >/dev/null || needed+=(python3)
if [ ${#needed[@]} -gt 0 ]; then
    echo "installing: ${needed[*]}"
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${needed[@]}"
fi

version=$(swift --version 2>/dev/null | sed -nE 's/.*Swift version ([0-9]+)\.([0-9]+).*/\1 \2/p' | head -n1)
read -r major minor <<<"${version:-0 0}"
if [ "$major" -lt 6 ] || { [ "$major" -eq 6 ] && [ "$minor" -lt 3 ]; }; then
    echo "error: these benchmarks need Swift 6.3 or later (found: $(swift --version 2>&1 | head -n1))" >&2
    exit 1
fi
thresholds="Thresholds/$major.$minor"

mkdir -p .build/benchmark-results
stamp=$(date -u +%Y%m%dT%H%M%SZ)
log=".build/benchmark-results/$stamp.txt"
{
    echo "date: $(date -u)"
    echo "nproc: $(nproc)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
    echo "memory: $(free -h | awk '/^Mem:/ {print $2}')"
    echo "swift: $(swift --version 2>&1 | head -n1)"
    echo "core commit: $(git -C .. rev-parse --short HEAD 2>/dev/null || echo unknown)$([ -z "$(git -C .. status --porcelain -- Sources 2>/dev/null)" ] || echo ' (with uncommitted changes in Sources/)')"
    echo "TMPDIR (SQLite files): ${TMPDIR:-/tmp} ($(df -P "${TMPDIR:-/tmp}" | awk 'NR==2 {print $1}'))"
    echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "mode: $mode ($thresholds)"
    echo "arguments: $*"
    echo
} | tee "$log"

# Release mode is the plugin's default. The exit status is the plugin's,
# past the pipe into the log.
benchmark() {
    set +e
    swift package --disable-sandbox --allow-writing-to-package-directory benchmark "$@" 2>&1 | tee -a "$log"
    local status=${PIPESTATUS[0]}
    set -e
    return "$status"
}

status=0
case $mode in
run)
    benchmark --no-progress "$@" || status=$?
    ;;
check)
    benchmark thresholds check --path "$PWD/$thresholds" --no-progress "$@" || status=$?
    # swift package exits 1 for any error of a plugin; the plugin's own code is in its message.
    if grep -q 'error: benchmarkThresholdRegression' "$log"; then status=2; fi
    if grep -q 'error: benchmarkThresholdImprovement' "$log"; then status=4; fi
    case $status in
    0) echo "within the thresholds of $thresholds" | tee -a "$log" ;;
    2) echo "WORSE than the thresholds of $thresholds (see the deviations above)" | tee -a "$log" ;;
    4) echo "only BETTER than the thresholds of $thresholds: if the gain is real, run --update-thresholds and commit" | tee -a "$log" ;;
    esac
    ;;
update)
    # One run, kept as a baseline: its figures go to the log, its p90s to the thresholds.
    baseline="thresholds-$stamp"
    benchmark baseline update "$baseline" --no-progress "$@" || status=$?
    [ "$status" -ne 0 ] || benchmark baseline read "$baseline" --no-progress "$@" || status=$?
    scratch="$PWD/.build/thresholds-update/$stamp"
    [ "$status" -ne 0 ] || benchmark thresholds update "$baseline" --path "$scratch" --no-progress "$@" || status=$?
    if [ "$status" -eq 0 ]; then
        mkdir -p "$thresholds"
        # Keep only the metrics that the benchmarks give a tolerance in their
        # configuration: a metric in the file without one is compared exactly.
        # 1.38.1 writes `_` for each space of a benchmark's name but looks the
        # file up by the name itself (ordo-one/benchmark#301), so each file is
        # renamed back (no name or target here has an `_` of its own).
        python3 - "$scratch" "$thresholds" <<'PY' | tee -a "$log"
import json, os, sys
written, thresholds = sys.argv[1], sys.argv[2]
toleranced = {"cpuTotal", "mallocCountTotal", "memoryLeakedBytes", "batches", "open conflicts after merge"}
for name in sorted(os.listdir(written)):
    if not name.endswith(".p90.json"):
        continue
    with open(os.path.join(written, name)) as file:
        p90 = {metric: value for metric, value in json.load(file).items() if metric in toleranced}
    path = os.path.join(thresholds, name.replace("_", " "))
    with open(path, "w") as file:
        json.dump(p90, file, indent=2, sort_keys=True)
        file.write("\n")
    print(f"{path}: {p90}")
PY
    fi
    ;;
esac

# The SQLite goal compares two benchmarks: the operation log's median rate over the plain loop's.
# Each "ops per second" row reads: | name (unit) | p0 | p25 | p50 | ...
awk '
    /^OperationLog\.apply/ { which = "store" }
    /^Plain GRDB upsert/ { which = "plain" }
    which != "" && /ops per second/ {
        split($0, cells, "│")
        scale = 1
        if (cells[2] ~ /\(K\)/) scale = 1000
        if (cells[2] ~ /\(M\)/) scale = 1000000
        value = cells[5]; gsub(/ /, "", value)
        rate[which] = value * scale
        which = ""
    }
    END {
        if (rate["store"] > 0 && rate["plain"] > 0)
            printf "\nSQLite p50: operation log %d ops/s, plain loop %d ops/s, ratio %.2f (goal >= 0.50: %s)\n",
                rate["store"], rate["plain"], rate["store"] / rate["plain"],
                ((rate["store"] / rate["plain"]) >= 0.5 ? "met" : "not met")
    }
' "$log" | tee -a "$log"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$log"
echo "saved to Benchmarks/$log"
exit "$status"
