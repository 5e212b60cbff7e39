#!/usr/bin/env bash
# Checks the streaming invariant on real logs through the CLI: `blt patch --segmentation stream
# --format jsonl` must print identical output with --chunk-size 1 and --chunk-size 65536 on every
# Loghub file. Prints one line per file with the patch count and both run times.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
loghub="${1:-$here/../shared/data/eval/loghub}"
jar="$here/flink-job/target/blt.jar"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
status=0
for log in "$loghub"/*/*_2k.log; do
  name="$(basename "$log")"
  s1=$(date +%s.%N)
  java -jar "$jar" patch --segmentation stream --format jsonl --chunk-size 1 "$log" > "$out/$name.1"
  s2=$(date +%s.%N)
  java -jar "$jar" patch --segmentation stream --format jsonl --chunk-size 65536 "$log" > "$out/$name.65536"
  s3=$(date +%s.%N)
  if cmp -s "$out/$name.1" "$out/$name.65536"; then verdict=identical; else verdict=DIFFERENT; status=1; fi
  printf '%-22s %8d bytes %7d patches  chunk 1: %6.1fs  chunk 65536: %5.1fs  %s\n' "$name" \
    "$(stat -c %s "$log")" "$(wc -l < "$out/$name.1")" "$(echo "$s2 - $s1" | bc)" "$(echo "$s3 - $s2" | bc)" "$verdict"
done
exit $status
