#!/usr/bin/env bash
# Runs one of flink-job's process-level benchmark classes (their names match neither surefire's nor
# failsafe's patterns, so builds never run them) and prints the Markdown table it writes.
#   bench/jvm-bench.sh CLASS TABLE     e.g. bench/jvm-bench.sh MemoryBench memory-bench.md
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -ntp -pl flink-job -am verify -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false \
  -Dit.test="$1" -Dfailsafe.failIfNoSpecifiedTests=false
echo "table: flink-job/target/$2"
cat "flink-job/target/$2"
