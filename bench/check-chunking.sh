#!/usr/bin/env bash
# Checks the streaming invariant on real logs through the CLI: `blt patch --segmentation stream
# --format jsonl` must print identical output with --chunk-size 1 and --chunk-size 65536 on every
# Loghub file. One line per file: patches, both run times, verdict. Files run in parallel
# (JOBS, default: the number of cores); --chunk-size 1 costs one model call per byte, so expect
# about 1 KB/s per job.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
loghub="${1:-$here/../shared/data/eval/loghub}"
export JAR="$here/flink-job/target/blt.jar"
OUT="$(mktemp -d)"
export OUT
trap 'rm -rf "$OUT"' EXIT

check_one() {
  local log="$1" name s1 s2 s3 verdict
  name="$(basename "$log")"
  s1=$(date +%s.%N)
  java -jar "$JAR" patch --segmentation stream --format jsonl --chunk-size 1 "$log" > "$OUT/$name.1"
  s2=$(date +%s.%N)
  java -jar "$JAR" patch --segmentation stream --format jsonl --chunk-size 65536 "$log" > "$OUT/$name.65536"
  s3=$(date +%s.%N)
  if cmp -s "$OUT/$name.1" "$OUT/$name.65536"; then verdict=identical; else verdict=DIFFERENT; fi
  printf '%-22s %8d bytes %7d patches  chunk 1: %7.1fs  chunk 65536: %5.1fs  %s\n' "$name" \
    "$(stat -c %s "$log")" "$(wc -l < "$OUT/$name.1")" "$(echo "$s2 - $s1" | bc)" "$(echo "$s3 - $s2" | bc)" "$verdict"
}
export -f check_one

# shellcheck disable=SC2016  # $1 expands in the child bash, on purpose
find "$loghub" -name '*_2k.log' | sort | xargs -P "${JOBS:-$(nproc)}" -I{} bash -c 'check_one "$1"' _ {} \
  | tee "$OUT/summary"
! grep -q DIFFERENT "$OUT/summary"
