#!/usr/bin/env bash
# `blt run --bounded` draining a backlog already in Kafka (Loghub lines on long-lived keys, default
# flags), at parallelism 1 and 2, with cl100k BPE on the same lines as the reference (flink-job
# BacklogBench). Models: BLT_BENCH_MODELS=DIR,DIR (default: the shipped one); BLT_BENCH_ARGS adds
# options with their values to every run (e.g. "--stage patch", "--embeddings-topic none": what
# one stage or output costs); BLT_BENCH_JFR=DIR writes a flight recording of each run there. Prints a Markdown
# table, also written to flink-job/target/backlog-bench.md. Needs ../shared/data/eval/loghub. Run it
# on a quiet machine; asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -ntp -pl flink-job -am verify -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false \
  -Dit.test=BacklogBench -Dfailsafe.failIfNoSpecifiedTests=false -Dblt.bench.models="${BLT_BENCH_MODELS:-}" \
  -Dblt.bench.args="${BLT_BENCH_ARGS:-}" -Dblt.bench.jfr="${BLT_BENCH_JFR:-}"
echo "table: flink-job/target/backlog-bench.md"
cat flink-job/target/backlog-bench.md
