#!/usr/bin/env bash
# Entrypoint of the flink stand-in, with the official image's commands:
#   jobmanager | taskmanager | standalone-job --job-classname CLASS [ARGS...] | help | any command
# Before starting, writes jobmanager.rpc.address (JOB_MANAGER_RPC_ADDRESS, else the host name),
# the blob/query ports, TASK_MANAGER_NUMBER_OF_TASK_SLOTS and each "key: value" line of
# FLINK_PROPERTIES into conf/config.yaml, then drops root for the flink user (uid 9999).
set -euo pipefail
FLINK_HOME="${FLINK_HOME:-/opt/flink}"

set_options() {  # set_options KEY VALUE [KEY VALUE]...: through Flink's config tool
  local params=()
  while [ $# -ge 2 ]; do
    params+=("-D$1=$2")
    shift 2
  done
  if [ "${#params[@]}" -gt 0 ]; then
    "$FLINK_HOME/bin/config-parser-utils.sh" "$FLINK_HOME/conf" "$FLINK_HOME/bin" "$FLINK_HOME/lib" "${params[@]}"
  fi
}

prepare_configuration() {
  local opts=(jobmanager.rpc.address "${JOB_MANAGER_RPC_ADDRESS:-$(hostname -f)}"
    blob.server.port 6124 query.server.port 6125)
  if [ -n "${TASK_MANAGER_NUMBER_OF_TASK_SLOTS:-}" ]; then
    opts+=(taskmanager.numberOfTaskSlots "$TASK_MANAGER_NUMBER_OF_TASK_SLOTS")
  fi
  # FLINK_PROPERTIES: one "key: value" per line; blank lines and # comments are skipped.
  local line key value
  while IFS= read -r line; do
    line="${line#"${line%%[![:space:]]*}"}"
    line="${line%"${line##*[![:space:]]}"}"
    case "$line" in '' | '#'*) continue ;; esac
    key="${line%%:*}"
    value="${line#*:}"
    value="${value#"${value%%[![:space:]]*}"}"
    opts+=("${key%"${key##*[![:space:]]}"}" "$value")
  done <<<"${FLINK_PROPERTIES:-}"
  set_options "${opts[@]}"
}

run_as_flink() {  # exec the command as the flink user when started as root
  if [ "$(id -u)" = 0 ]; then
    exec setpriv --reuid=flink --regid=flink --init-groups -- "$@"
  fi
  exec "$@"
}

cmd="${1:-help}"
case "$cmd" in
  help)
    echo "usage: $(basename "$0") (jobmanager|standalone-job|taskmanager|help) [ARGS...], or any command"
    exit 0
    ;;
  jobmanager | standalone-job | taskmanager)
    shift
    prepare_configuration
    echo "Starting $cmd"
    case "$cmd" in
      jobmanager) run_as_flink "$FLINK_HOME/bin/jobmanager.sh" start-foreground "$@" ;;
      standalone-job) run_as_flink "$FLINK_HOME/bin/standalone-job.sh" start-foreground "$@" ;;
      taskmanager) run_as_flink "$FLINK_HOME/bin/taskmanager.sh" start-foreground "$@" ;;
    esac
    ;;
  *)
    prepare_configuration
    run_as_flink "$@"
    ;;
esac
