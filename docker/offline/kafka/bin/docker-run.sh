#!/usr/bin/env bash
# Entrypoint of the apache/kafka stand-in: writes server.properties from the KAFKA_* variables,
# formats the log folder with CLUSTER_ID (once), then runs the node in the foreground.
#
# Naming follows the official image: strip KAFKA_, lower-case, '___' -> '-', '__' -> '_',
# '_' -> '.', e.g. KAFKA_NODE_ID -> node.id, KAFKA_LOG_DIRS -> log.dirs. The variables that
# configure the JVM rather than the node (KAFKA_HEAP_OPTS, KAFKA_OPTS, ...) are skipped.
set -euo pipefail
base_dir="${KAFKA_HOME:-/opt/kafka}"
props=/mnt/shared/config/server.properties

if [ -z "${CLUSTER_ID:-}" ]; then
  echo "docker-run.sh: CLUSTER_ID is not set (e.g. from kafka-storage.sh random-uuid)" >&2
  exit 1
fi

: >"$props"
while IFS='=' read -r name value; do
  case "$name" in
    KAFKA_HEAP_OPTS | KAFKA_OPTS | KAFKA_JVM_PERFORMANCE_OPTS | KAFKA_LOG4J_OPTS | KAFKA_HOME | KAFKA_GC_LOG_OPTS | KAFKA_JMX_OPTS | KAFKA_DEBUG) continue ;;
    KAFKA_*) ;;
    *) continue ;;
  esac
  key="${name#KAFKA_}"
  key="${key//___/-}"
  key="${key//__/@}"  # '@' never occurs in variable names: a placeholder for a literal '_'
  key="${key//_/.}"
  key="${key//@/_}"
  key="${key,,}"
  printf '%s=%s\n' "$key" "$value" >>"$props"
done < <(env)

if ! grep -q '^process.roles=' "$props"; then
  echo "docker-run.sh: KAFKA_PROCESS_ROLES is not set; this stand-in runs KRaft only" >&2
  exit 1
fi
echo "docker-run.sh: server.properties:" >&2
sed 's/^/  /' "$props" >&2

# Formats each log dir with the cluster id; a second start on the same volume keeps the data.
"$base_dir/bin/kafka-storage.sh" format --cluster-id "$CLUSTER_ID" --config "$props" --ignore-formatted

exec "$base_dir/bin/kafka-server-start.sh" "$props"
