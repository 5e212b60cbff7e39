#!/usr/bin/env bash
# kafka-server-start.sh server.properties: the broker/controller (kafka.Kafka), 1 GiB heap by
# default and the broker's console logging, as Kafka's script of the same name.
set -euo pipefail
base_dir="${KAFKA_HOME:-/opt/kafka}"
export KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx1G -Xms1G}"
export KAFKA_LOG4J_OPTS="${KAFKA_LOG4J_OPTS:--Dlog4j2.configurationFile=$base_dir/config/log4j2.properties}"
exec "$(dirname "$0")/kafka-run-class.sh" kafka.Kafka "$@"
