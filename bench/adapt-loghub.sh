#!/usr/bin/env bash
# Adaptation to a user's logs, measured on Loghub (never trained on by the shipped models): for each
# system, model-export/adapt.py fine-tunes the shipped models on the first half of its 2k sample for
# MINUTES, then `blt eval-loghub` scores the second half with the shipped and the adapted folder.
# Prints one Markdown table (bench/adapt_loghub_table.py); asserts nothing.
#
#   bench/adapt-loghub.sh                          # every system, 10 minutes each, two at a time
#   SYSTEMS="HDFS Linux" MINUTES=2 bench/adapt-loghub.sh
#
# Each adaptation gets one core (BLT_TORCH_THREADS=1) and JOBS of them run side by side, so on the
# 2-core machine a system's "10 minutes" are 10 minutes of one core.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
loghub="${LOGHUB:-$here/../shared/data/eval/loghub}"
model="$(realpath "${MODEL:-$here/model-export/artifacts/blt-default}")" # adapt.py runs in model-export/
minutes="${MINUTES:-10}"
jobs="${JOBS:-2}"
out="$(realpath -m "${OUT:-$here/model-export/build/adapt-loghub}")"
jar="$here/flink-job/target/blt.jar"

[ -d "$loghub" ] || { echo "no Loghub data at $loghub (set LOGHUB)" >&2; exit 2; }
[ -f "$jar" ] || { echo "build the jar first: mvn -q install -DskipTests" >&2; exit 2; }
if [ -z "${SYSTEMS:-}" ]; then
  SYSTEMS="$(find "$loghub" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort | xargs)"
fi
mkdir -p "$out"
echo "date: $(date -u +%Y-%m-%d) machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)" \
  | tee "$out/machine.txt"

eval_half() { # model folder, system, output file: the second half (lines 1001..2000)
  java -jar "$jar" eval-loghub --model "$1" --systems "$2" --from-line 1000 --max-lines 1000 \
    --tables compression,embeddings --top 0 "$loghub" > "$3" 2> "$3.log"
}

adapt_one() { # system
  set -euo pipefail # xargs' child bash does not inherit it: a failed step must fail the run
  local system="$1" dir="$out/$1"
  mkdir -p "$dir"
  head -n 1000 "$loghub/$system/${system}_2k.log" > "$dir/first-half.log"
  eval_half "$model" "$system" "$dir/before.md"
  (cd "$here/model-export" && BLT_TORCH_THREADS=1 /usr/bin/python3 adapt.py --logs "$dir/first-half.log" \
    --minutes "$minutes" --model "$model" --name "blt-$(echo "$system" | tr '[:upper:]' '[:lower:]')-adapted" \
    --out "$dir/model") > "$dir/adapt.log" 2>&1
  eval_half "$dir/model" "$system" "$dir/after.md"
  echo "$system done" >&2
}
export -f adapt_one eval_half
export here loghub model minutes out jar

# shellcheck disable=SC2086  # SYSTEMS is a list of names
# shellcheck disable=SC2016  # $1 expands in the child bash
printf '%s\n' $SYSTEMS | xargs -P "$jobs" -I{} bash -c 'adapt_one "$1"' _ {}
# shellcheck disable=SC2086
/usr/bin/python3 "$here/bench/adapt_loghub_table.py" "$out" $SYSTEMS
