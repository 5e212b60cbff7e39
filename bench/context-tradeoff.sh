#!/usr/bin/env bash
# The context trade-off table: the shipped entropy model's weights run with shorter contexts
# (model-export/context_variants.py writes each as a complete model folder), each measured in one
# run for held-out bits per byte on Loghub (never trained on) and patching throughput: 64 KB chunks
# and 150-byte-ish records arriving one at a time over 1,000 keys. Prints figures; asserts nothing.
#
#   bench/context-tradeoff.sh                 # contexts 64 128 256 512, 300 lines per Loghub system
#   CONTEXTS="128 512" MAX_LINES=2000 bench/context-tradeoff.sh
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
loghub="${LOGHUB:-$here/../shared/data/eval/loghub}"
model="${MODEL:-$here/model-export/artifacts/blt-default}"
contexts="${CONTEXTS:-64 128 256 512}"
max_lines="${MAX_LINES:-300}"
variants="$here/model-export/build/context-variants"
jar="$here/flink-job/target/blt.jar"
files=("$loghub/HDFS/HDFS_2k.log" "$loghub/OpenSSH/OpenSSH_2k.log" "$loghub/Spark/Spark_2k.log" "$loghub/Linux/Linux_2k.log")

[ -d "$loghub" ] || { echo "no Loghub data at $loghub (set LOGHUB)" >&2; exit 2; }
[ -f "$jar" ] || { echo "build the jar first: mvn -q -pl flink-job -am package -DskipTests" >&2; exit 2; }
echo "date: $(date -u +%Y-%m-%d) machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
# shellcheck disable=SC2086  # contexts is a list of numbers
(cd "$here/model-export" && /usr/bin/python3 context_variants.py "$model" "$variants" $contexts)

# Throughput first, all variants, so that it can be measured alone; then bits per byte, which
# SKIP_BENCH=1 lets run beside other work (SKIP_EVAL=1 does the converse).
if [ -z "${SKIP_BENCH:-}" ]; then
  for context in $contexts; do
    folder="$(find "$variants" -maxdepth 1 -type d -name "*-c$context" | head -1)"
    echo
    echo "== context $context bytes, throughput: $folder"
    java -jar "$jar" bench --model "$folder" --threads 1 --no-blt --keys 1000 --max-bytes 131072 "${files[@]}" 2>/dev/null
  done
fi
if [ -z "${SKIP_EVAL:-}" ]; then
  for context in $contexts; do
    folder="$(find "$variants" -maxdepth 1 -type d -name "*-c$context" | head -1)"
    echo
    echo "== context $context bytes, Loghub ($max_lines lines per system): $folder"
    java -jar "$jar" eval-loghub --model "$folder" --tables compression --max-lines "$max_lines" "$loghub" 2>/dev/null \
      | grep -E '^\| (system|\*\*all)'
  done
fi
