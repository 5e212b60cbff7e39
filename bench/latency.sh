#!/usr/bin/env bash
# `blt run` end to end: a Kafka broker in its own JVM, the job in another, a producer and a
# read_committed consumer in a third. Sustained rate and p50/p99 latency from send to readable patch
# at three offered loads and two checkpoint intervals, against the bare patching path measured in
# the same run (flink-job LatencyBench). Prints a Markdown table, also written to
# flink-job/target/latency-bench.md. Needs ../shared/data/eval/loghub. About 6 minutes on 2 cores;
# run it on a quiet machine. Asserts nothing.
set -euo pipefail
exec "$(dirname "$0")/jvm-bench.sh" LatencyBench latency-bench.md
