#!/usr/bin/env bash
# Makes sure a Docker engine answers: returns at once if one does, else starts dockerd (as root,
# in the background, outliving this script) and waits for it. Exits 2, saying why, when there is
# no engine to start (no dockerd, not root) and 1 when dockerd does not come up; callers that can
# do without Docker (run-tests.sh) skip their Docker parts on a non-zero exit.
#
# Environment: DOCKERD_LOG (/var/log/dockerd.log), DOCKER_WAIT_S (60): how long to wait for it.
set -euo pipefail
dockerd_log="${DOCKERD_LOG:-/var/log/dockerd.log}"
docker_wait_s="${DOCKER_WAIT_S:-60}"

if docker info >/dev/null 2>&1; then
  exit 0
fi
if ! command -v dockerd >/dev/null 2>&1; then
  echo "no Docker engine: dockerd is not installed (Debian: apt-get install docker.io)" >&2
  exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "no Docker engine: none answers, and starting dockerd needs root" >&2
  exit 2
fi
echo "starting dockerd, log in $dockerd_log" >&2
# setsid: the daemon outlives this script and its terminal.
setsid dockerd >>"$dockerd_log" 2>&1 </dev/null &
pid=$!
deadline=$((SECONDS + docker_wait_s))
until docker info >/dev/null 2>&1; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "no Docker engine: dockerd exited while starting; last lines of $dockerd_log:" >&2
    tail -n 20 "$dockerd_log" >&2
    exit 1
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "no Docker engine: dockerd did not answer within ${docker_wait_s} s; last lines of $dockerd_log:" >&2
    tail -n 20 "$dockerd_log" >&2
    exit 1
  fi
  sleep 1
done
