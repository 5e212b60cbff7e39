#!/usr/bin/env bash
# Patching throughput, ONNX Runtime (Java, the job's path) against eager PyTorch, on the same Loghub
# lines in one run. Needs the size sweep's checkpoints (model-export/sweep_entropy.py) and
# ../shared/data/eval/loghub. Prints figures; asserts nothing.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
loghub="${LOGHUB:-$here/../shared/data/eval/loghub}"
files=("$loghub/HDFS/HDFS_2k.log" "$loghub/OpenSSH/OpenSSH_2k.log" "$loghub/Spark/Spark_2k.log" "$loghub/Linux/Linux_2k.log")
sweep="$here/model-export/build/sweep"
echo "date: $(date -u +%Y-%m-%d) machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
graphs=()
for d in "$sweep"/*/; do
  [ -f "$d/entropy.onnx" ] && graphs+=(--entropy-onnx "$d/entropy.onnx")
done
for threads in 1 2; do
  java -jar "$here/flink-job/target/blt.jar" bench --threads "$threads" --max-bytes 131072 "${graphs[@]}" "${files[@]}"
done
for d in "$sweep"/*/; do
  name="$(basename "$d")"
  (cd "$here/model-export" && /usr/bin/python3 bench_pytorch.py --checkpoint "$d/entropy.pt" --candidate "$name" \
     --max-bytes 131072 "${files[@]}")
done
