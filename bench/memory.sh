#!/usr/bin/env bash
# Memory of `blt run` (its own JVM, a Kafka broker in another): one 5 MB record (patched in 64 KiB
# rounds) and 100,000 keys (then expired by --state-ttl). Prints a Markdown table, also written to
# flink-job/target/memory-bench.md. Takes about 10 minutes on 2 cores; run it on a quiet machine.
set -euo pipefail
exec "$(dirname "$0")/jvm-bench.sh" MemoryBench memory-bench.md
