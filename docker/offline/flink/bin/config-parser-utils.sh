#!/usr/bin/env bash
# config-parser-utils.sh CONF_DIR BIN_DIR LIB_DIR [-Dkey=value | -repKV k,old,new | -rmKV k=v]...
# Rewrites CONF_DIR/config.yaml with the given changes, with Flink's own config tool
# (BashJavaUtils UPDATE_AND_GET_FLINK_CONFIGURATION), as the official image's script does.
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: $0 CONF_DIR BIN_DIR LIB_DIR [-Dkey=value]..." >&2
  exit 2
fi
conf_dir="$1"
bin_dir="$2"
export FLINK_LIB_DIR="$3"
export FLINK_CONF_DIR="$conf_dir"
shift 3
# shellcheck source=SCRIPTDIR/flink-common.sh
. "$bin_dir/flink-common.sh"

new_conf=$(bash_java_utils UPDATE_AND_GET_FLINK_CONFIGURATION --configDir "$conf_dir" "$@")
if [ -z "$new_conf" ]; then
  echo "config-parser-utils.sh: the config tool returned nothing; $conf_dir/config.yaml unchanged" >&2
  exit 1
fi
# Rewritten in place (not replaced) so that the file keeps its owner.
printf '%s\n' "$new_conf" >"$conf_dir/config.yaml"
