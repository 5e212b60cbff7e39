#!/usr/bin/env bash
# The fault-injection suite in full: every scenario (TaskManager kills, kill -9 of the single-process
# job and resume, stop with savepoint and rescale 2 -> 3 -> 1, broker restart) in both segmentations,
# on several MB, against a Kafka broker, a Flink JobManager and two TaskManagers in their own JVMs.
# `.ci/run` runs the short form (one scenario per segmentation) as part of `mvn verify`.
#   bench/fault-suite.sh                      # full: 3 MB per stream scenario, 512 KB per record scenario
#   STREAM_BYTES=262144 bench/fault-suite.sh  # smaller streams (bytes per key)
set -euo pipefail
cd "$(dirname "$0")/.."
args=(-Dblt.fault.suite=full)
if [ -n "${STREAM_BYTES:-}" ]; then args+=("-Dblt.fault.stream-bytes=$STREAM_BYTES"); fi
if [ -n "${RECORD_BYTES:-}" ]; then args+=("-Dblt.fault.record-bytes=$RECORD_BYTES"); fi
mvn -B -ntp -pl flink-job -am verify -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false \
  -Dit.test=FaultSuiteIT "${args[@]}"
echo "table: flink-job/target/fault-suite.md"
cat flink-job/target/fault-suite.md
