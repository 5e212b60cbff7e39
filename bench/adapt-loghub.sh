#!/usr/bin/env bash
# Adaptation to a user's logs, measured on Loghub (never trained on by the shipped models): for each
# system, the first half of its 2k sample is produced to Kafka (a broker in its own JVM, topic
# loghub.SYSTEM, a record per line, with kcat) and `blt adapt --topic` samples it from there
# (record segmentation) and fine-tunes the shipped models for MINUTES; then `blt eval-loghub`
# scores the second half with the shipped and the adapted folder. SOURCE=files adapts from the
# file instead (adapt.py --logs). Prints one Markdown table (bench/adapt_loghub_table.py); asserts
# nothing.
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
source="${SOURCE:-kafka}"

[ -d "$loghub" ] || { echo "no Loghub data at $loghub (set LOGHUB)" >&2; exit 2; }
[ -f "$jar" ] || { echo "build the jar first: mvn -q install -DskipTests" >&2; exit 2; }
if [ -z "${SYSTEMS:-}" ]; then
  SYSTEMS="$(find "$loghub" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort | xargs)"
fi
mkdir -p "$out"
echo "date: $(date -u +%Y-%m-%d) machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)" \
  | tee "$out/machine.txt"

if [ "$source" = kafka ]; then
  command -v kcat >/dev/null || { echo "SOURCE=kafka needs kcat (apt-get install kcat)" >&2; exit 2; }
  port="${KAFKA_PORT:-29192}"
  bootstrap="localhost:$port"
  mkdir -p "$out/kafka"
  rm -rf "$out/kafka/data"
  cat > "$out/kafka/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=localhost:$((port + 1))
listeners=PLAINTEXT://localhost:$port,CONTROLLER://localhost:$((port + 1))
advertised.listeners=PLAINTEXT://localhost:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$out/kafka/data
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
auto.create.topics.enable=true
num.partitions=1
PROPS
  java -cp "$jar" kafka.tools.StorageTool format -t "$(tr -d - < /proc/sys/kernel/random/uuid | head -c 22)" \
    -c "$out/kafka/server.properties" --standalone > "$out/kafka/format.log" 2>&1
  java -cp "$jar" kafka.Kafka "$out/kafka/server.properties" > "$out/kafka/kafka.log" 2>&1 &
  broker=$!
  trap 'kill $broker 2>/dev/null || true' EXIT
  for _ in $(seq 120); do kcat -b "$bootstrap" -L >/dev/null 2>&1 && break; sleep 1; done
fi
export source bootstrap

eval_half() { # model folder, system, output file: the second half (lines 1001..2000)
  java -jar "$jar" eval-loghub --model "$1" --systems "$2" --from-line 1000 --max-lines 1000 \
    --tables compression,embeddings --top 0 "$loghub" > "$3" 2> "$3.log"
}

adapt_one() { # system
  set -euo pipefail # xargs' child bash does not inherit it: a failed step must fail the run
  local system="$1" dir="$out/$1"
  mkdir -p "$dir"
  local name
  name="blt-$(echo "$system" | tr '[:upper:]' '[:lower:]')-adapted"
  head -n 1000 "$loghub/$system/${system}_2k.log" > "$dir/first-half.log"
  eval_half "$model" "$system" "$dir/before.md"
  rm -rf "$dir/model"
  if [ "$source" = kafka ]; then
    kcat -b "$bootstrap" -t "loghub.$system" -k "$system" -P < "$dir/first-half.log" # a record per line
    BLT_TORCH_THREADS=1 java -jar "$jar" adapt --bootstrap-servers "$bootstrap" --topic "loghub.$system" \
      --segmentation record --minutes "$minutes" --model "$model" --name "$name" --out "$dir/model" > "$dir/adapt.log" 2>&1
  else
    (cd "$here/model-export" && BLT_TORCH_THREADS=1 /usr/bin/python3 adapt.py --logs "$dir/first-half.log" \
      --minutes "$minutes" --model "$model" --name "$name" --out "$dir/model") > "$dir/adapt.log" 2>&1
  fi
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
