#!/bin/sh
# make-input.sh MEGABYTES OUT: a deterministic text file of about MEGABYTES MB.
set -eu
mb=$1 out=$2
mkdir -p "$(dirname "$out")"
awk -v n="$((mb * 20000))" 'BEGIN { for (i = 0; i < n; i++) printf "line %d of the benchmark input, some words to count\n", i }' >"$out"
