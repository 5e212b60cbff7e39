#!/usr/bin/env bash
# flink-console.sh (taskexecutor|standalonesession|standalonejob) [ARGS...]: runs a Flink process
# in the foreground, logging to the console. As the distribution's scripts, the JVM memory flags
# come from BashJavaUtils (GET_TM_RESOURCE_PARAMS / GET_JM_RESOURCE_PARAMS) over config.yaml plus
# any -D flags among ARGS, and its computed -D settings are passed on to the process.
set -euo pipefail
# shellcheck source=SCRIPTDIR/flink-common.sh
. "$(dirname "$0")/flink-common.sh"

role="${1:-}"
shift || true
case "$role" in
  taskexecutor) main=org.apache.flink.runtime.taskexecutor.TaskManagerRunner; params=GET_TM_RESOURCE_PARAMS ;;
  standalonesession) main=org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint; params=GET_JM_RESOURCE_PARAMS ;;
  standalonejob) main=org.apache.flink.container.entrypoint.StandaloneApplicationClusterEntryPoint; params=GET_JM_RESOURCE_PARAMS ;;
  *)
    echo "usage: $0 (taskexecutor|standalonesession|standalonejob) [ARGS...]" >&2
    exit 2
    ;;
esac

# The -D settings among the arguments also shape the memory (e.g. -D taskmanager.memory.process.size=2g).
dyn=()
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    -D) dyn+=(-D "${args[i + 1]:-}"); i=$((i + 1)) ;;
    -D*) dyn+=("${args[i]}") ;;
  esac
done

mapfile -t resource < <(bash_java_utils "$params" --configDir "$FLINK_CONF_DIR" "${dyn[@]}")
if [ "${#resource[@]}" -lt 2 ]; then
  echo "flink-console.sh: could not compute the memory settings of $role (BashJavaUtils $params)" >&2
  exit 1
fi
read -r -a jvm_mem <<<"${resource[0]}"
read -r -a mem_conf <<<"${resource[1]}"
read -r -a extra_opts <<<"${FLINK_ENV_JAVA_OPTS:-}"
log_file="$FLINK_HOME/log/flink-$role-$(hostname).log"

echo "flink-console.sh: $main ${jvm_mem[*]}" >&2
exec java "${jvm_mem[@]}" "${FLINK_JDK17_OPTS[@]}" "${extra_opts[@]}" \
  -Dlog.file="$log_file" \
  -Dlog4j.configuration="file:$FLINK_CONF_DIR/log4j-console.properties" \
  -Dlog4j.configurationFile="file:$FLINK_CONF_DIR/log4j-console.properties" \
  -cp "$(flink_classpath)" "$main" --configDir "$FLINK_CONF_DIR" "${mem_conf[@]}" "$@"
