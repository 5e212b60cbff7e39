#!/usr/bin/env bash
# Creates the job's six topics (idempotent). Runs in the apache/kafka image, as the one-shot
# `topics` service of docker-compose.yml.
#   BOOTSTRAP_SERVERS (kafka:9092), PARTITIONS (4), REPLICATION_FACTOR (1)
set -euo pipefail
bootstrap="${BOOTSTRAP_SERVERS:-kafka:9092}"
partitions="${PARTITIONS:-4}"
replication="${REPLICATION_FACTOR:-1}"
kafka_bin=/opt/kafka/bin

for topic in blt.bytes blt.patches blt.embeddings blt.predictions blt.record-scores blt.dlq; do
  config=()
  if [ "$topic" = blt.dlq ]; then
    config=(--config retention.ms=1209600000)  # keep dead letters two weeks
  fi
  "$kafka_bin/kafka-topics.sh" --bootstrap-server "$bootstrap" --create --if-not-exists \
    --topic "$topic" --partitions "$partitions" --replication-factor "$replication" "${config[@]}"
done
"$kafka_bin/kafka-topics.sh" --bootstrap-server "$bootstrap" --list
