#!/bin/sh
# Run every file in DIR once through a built fuzz target; a file that crashes it is moved to
# DIR.crashes/ and the run goes on with the rest.
# usage: fuzz/scripts/run_mutants.sh DIR [TARGET]   (TARGET default read_validate)
set -u
dir=$1
target=${2:-read_validate}
bin=$(dirname "$0")/../target/x86_64-unknown-linux-gnu/release/$target
mkdir -p "$dir.crashes"
while :; do
    log=$(mktemp)
    if "$bin" -timeout=10 -rss_limit_mb=512 "$dir"/* >"$log" 2>&1; then
        echo "$(ls "$dir" | wc -l) files ran, $(ls "$dir.crashes" | wc -l) crashed"
        rm -f "$log"
        exit 0
    fi
    crashed=$(grep '^Running: ' "$log" | tail -1 | sed 's/^Running: //')
    if [ -z "$crashed" ] || [ ! -f "$crashed" ]; then
        cat "$log"
        exit 1
    fi
    echo "crash: $crashed"
    grep -m1 -A2 'panicked' "$log"
    mv "$crashed" "$dir.crashes/"
    rm -f "$log"
done
