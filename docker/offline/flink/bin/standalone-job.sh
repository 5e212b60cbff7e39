#!/usr/bin/env bash
# standalone-job.sh start-foreground [ARGS...]: the standalonejob process in the foreground (the stand-in knows no
# daemon mode: containers run one process in the foreground).
set -euo pipefail
if [ "${1:-}" != start-foreground ]; then
  echo "usage: $0 start-foreground [ARGS...] (this stand-in has no daemon mode)" >&2
  exit 2
fi
shift
exec "$(dirname "$0")/flink-console.sh" standalonejob "$@"
