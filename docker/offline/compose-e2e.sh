#!/usr/bin/env bash
# End-to-end run of docker/docker-compose.yml as it is: Kafka, topics, the job (application mode)
# and its TaskManager, the log producer. Checks from the host (docker/offline/e2e_check.py, a
# read_committed client on localhost:29092) that every input record comes out as patches,
# embeddings, predictions and one record score, equal to the offline CLI's patches; then kills
# the TaskManager while the job runs and checks again that nothing was lost or duplicated.
#
#   docker/offline/build-images.sh     # once, on a machine without a registry
#   docker/offline/compose-e2e.sh
#
# Environment: BLT_JAR (flink-job/target/blt.jar): the job jar, copied first, so that a build
# running meanwhile may rewrite it; RECORDS (300): input records before the producer is stopped;
# KILL_AT (150): input records when the TaskManager is killed; WAIT_S (600): limit of each wait.
# Tears the stack down
# (down -v) at the end, also on failure; the services' logs are kept in $E2E_LOGS
# (/var/tmp/blt-offline/e2e-logs).
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
records="${RECORDS:-300}"
kill_at="${KILL_AT:-150}"
wait_s="${WAIT_S:-600}"
logs="${E2E_LOGS:-/var/tmp/blt-offline/e2e-logs}"
export COMPOSE_PROJECT_NAME=blt-e2e
compose=(docker-compose -f docker/docker-compose.yml)
check=(/usr/bin/python3 docker/offline/e2e_check.py --bootstrap-servers localhost:29092)
# shellcheck source=docker/compose-lib.sh
. docker/compose-lib.sh

for image in apache/kafka:4.2.0 flink:2.2.1-java17; do
  if ! docker image inspect "$image" >/dev/null 2>&1; then
    echo "error: no image $image; run docker/offline/build-images.sh (or pull it)" >&2
    exit 1
  fi
done
jar="${BLT_JAR:-flink-job/target/blt.jar}"
if [ ! -f "$jar" ]; then
  echo "error: $jar is missing (mvn -B -ntp -q install -DskipTests)" >&2
  exit 1
fi
context=$(image_context "$jar")
jar="$context/flink-job/target/blt.jar"

teardown() {
  local rc=$?
  mkdir -p "$logs"
  "${compose[@]}" logs --no-color >"$logs/compose.log" 2>&1 || true
  "${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
  rm -rf "$context"
  if [ "$rc" -ne 0 ]; then
    echo "compose-e2e.sh FAILED (exit $rc); services' logs in $logs/compose.log" >&2
  fi
}
trap teardown EXIT
trap 'exit 130' INT TERM  # so that a stopped run also tears down

t_start=$(now)
t=$(now)
docker build -q -f docker/Dockerfile -t blt-flink "$context" >/dev/null
figure "docker build blt-flink" "$(($(now) - t)) s"

t=$(now)
# up -d returns once kafka is healthy and topics has exited 0 (depends_on conditions)
"${compose[@]}" up -d --no-build
figure "compose up -d (kafka healthy, topics created)" "$(($(now) - t)) s"
t_up=$(now)

wait_for "a first committed record score" at_least blt.record-scores 1
figure "time to first record score (from up)" "$(($(now) - t_up)) s"

wait_for "$kill_at input records" at_least blt.bytes "$kill_at"
before=$(count blt.record-scores)
tm=$("${compose[@]}" ps -q taskmanager)
t_kill=$(now)
docker kill "$tm" >/dev/null
figure "TaskManager killed at" "$(count blt.bytes) input records, $before record scores out"
# Docker takes a kill for a deliberate stop: the restart policy (unless-stopped) does not bring the
# container back (seen here, docker.io 20.10). Start it again, as an orchestrator would.
"${compose[@]}" up -d --no-build --no-deps taskmanager
wait_for "the TaskManager running again" running taskmanager
figure "TaskManager running again" "$(($(now) - t_kill)) s after the kill"
wait_for "record scores past the $before before the kill" at_least blt.record-scores $((before + 1))
figure "recovery: new output after the kill" "$(($(now) - t_kill)) s"

wait_for "$records input records" at_least blt.bytes "$records"
"${compose[@]}" stop producer
t_stop=$(now)
wait_for "the job to catch up with the input" caught_up
figure "catch-up after the producer stopped" "$(($(now) - t_stop)) s"

result=$("${check[@]}" check --jar "$jar")
figure "checked" "$result"
figure "whole run (build to checked)" "$(($(now) - t_start)) s"

echo
echo "compose-e2e.sh figures:"
printf '  %s\n' "${figures[@]}"
