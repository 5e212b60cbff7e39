#!/usr/bin/env bash
# kafka-run-class.sh CLASS [ARGS...]: runs a Kafka main class on the jars in /opt/kafka/libs.
# Our stand-in for Kafka's script of the same name; honours KAFKA_HEAP_OPTS, KAFKA_OPTS,
# KAFKA_JVM_PERFORMANCE_OPTS and KAFKA_LOG4J_OPTS as that script does.
set -euo pipefail
if [ $# -lt 1 ]; then
  echo "usage: $0 CLASS [ARGS...]" >&2
  exit 2
fi
base_dir="${KAFKA_HOME:-/opt/kafka}"
main_class="$1"
shift
# Tools get a small heap; kafka-server-start.sh sets a larger one.
read -r -a heap <<<"${KAFKA_HEAP_OPTS:--Xmx256M}"
read -r -a perf <<<"${KAFKA_JVM_PERFORMANCE_OPTS:--server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true}"
read -r -a log4j <<<"${KAFKA_LOG4J_OPTS:--Dlog4j2.configurationFile=$base_dir/config/tools-log4j2.properties}"
read -r -a opts <<<"${KAFKA_OPTS:-}"
exec java "${heap[@]}" "${perf[@]}" "${log4j[@]}" "${opts[@]}" -cp "$base_dir/libs/*" "$main_class" "$@"
