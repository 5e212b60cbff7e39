#!/usr/bin/env bash
# Creates the job's six topics (idempotent). The one-shot `topics` service of docker-compose.yml runs
# it in the apache/kafka image; outside it, it uses the kafka-topics.sh of $KAFKA_HOME or PATH.
#   docker/create-topics.sh [BOOTSTRAP_SERVERS]
#   BOOTSTRAP_SERVERS (kafka:9092), PARTITIONS (4), REPLICATION_FACTOR (1), KAFKA_HOME
set -euo pipefail
bootstrap="${1:-${BOOTSTRAP_SERVERS:-kafka:9092}}"
partitions="${PARTITIONS:-4}"
replication="${REPLICATION_FACTOR:-1}"

kafka_topics=""
for candidate in "${KAFKA_HOME:+$KAFKA_HOME/bin/kafka-topics.sh}" /opt/kafka/bin/kafka-topics.sh \
    "$(command -v kafka-topics.sh || true)" "$(command -v kafka-topics || true)"; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then
    kafka_topics="$candidate"
    break
  fi
done
if [ -z "$kafka_topics" ]; then
  here="$(cd "$(dirname "$0")/.." && pwd)"
  echo "create-topics.sh: no kafka-topics.sh here (looked in \$KAFKA_HOME/bin, /opt/kafka/bin and PATH)." \
    "Set KAFKA_HOME to a Kafka distribution, or create the topics with:" \
    "/usr/bin/python3 $here/examples/create_topics.py --bootstrap-servers $bootstrap --partitions $partitions" >&2
  exit 2
fi

for topic in blt.bytes blt.patches blt.embeddings blt.predictions blt.record-scores blt.dlq; do
  config=()
  if [ "$topic" = blt.dlq ]; then
    config=(--config retention.ms=1209600000)  # keep dead letters two weeks
  fi
  "$kafka_topics" --bootstrap-server "$bootstrap" --create --if-not-exists \
    --topic "$topic" --partitions "$partitions" --replication-factor "$replication" "${config[@]}"
done
"$kafka_topics" --bootstrap-server "$bootstrap" --list
