#!/usr/bin/env bash
# Installs what the benchmarks need, then runs them in release mode.
#
#   ./run-benchmarks.sh                      # every benchmark
#   ./run-benchmarks.sh --target SQLiteApply # extra arguments go to `benchmark`
#
# Needs Swift 6.3 or later: the benchmark package (ordo-one/benchmark 1.38.1)
# collects malloc statistics with its malloc-interposer package there, so no
# jemalloc is needed. (On Swift 6.2 and earlier it would use jemalloc through
# package-jemalloc and libjemalloc-dev instead; this package does not support
# that: it asks for the MallocInterposer trait, which only 6.3+ manifests have.)
#
# The full output is kept in .build/benchmark-results/ (gitignored).
set -euo pipefail
cd "$(dirname "$0")"

# System packages: GRDB links the system SQLite.
needed=()
dpkg -s libsqlite3-dev >/dev/null 2>&1 || needed+=(libsqlite3-dev)
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

mkdir -p .build/benchmark-results
log=".build/benchmark-results/$(date -u +%Y%m%dT%H%M%SZ).txt"
{
    echo "date: $(date -u)"
    echo "nproc: $(nproc)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
    echo "memory: $(free -h | awk '/^Mem:/ {print $2}')"
    echo "swift: $(swift --version 2>&1 | head -n1)"
    echo "core commit: $(git -C .. rev-parse --short HEAD 2>/dev/null || echo unknown)$([ -z "$(git -C .. status --porcelain -- Sources 2>/dev/null)" ] || echo ' (with uncommitted changes in Sources/)')"
    echo "TMPDIR (SQLite files): ${TMPDIR:-/tmp} ($(df -P "${TMPDIR:-/tmp}" | awk 'NR==2 {print $1}'))"
    echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "command: swift package --disable-sandbox benchmark $*"
    echo
} | tee "$log"

# Release mode is the plugin's default.
swift package --disable-sandbox benchmark --no-progress "$@" 2>&1 | tee -a "$log"

# The SQLite goal compares two benchmarks: the store's median rate over the plain loop's.
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
            printf "\nSQLite p50: store %d ops/s, plain loop %d ops/s, ratio %.2f (goal >= 0.50: %s)\n",
                rate["store"], rate["plain"], rate["store"] / rate["plain"],
                ((rate["store"] / rate["plain"]) >= 0.5 ? "met" : "not met")
    }
' "$log" | tee -a "$log"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$log"
echo "saved to Benchmarks/$log"
