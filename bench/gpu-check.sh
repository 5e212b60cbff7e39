#!/usr/bin/env bash
# The CUDA path on a GPU machine, in one run of at most 8 minutes: names the device, builds the job
# with -Pgpu (onnxruntime_gpu: Maven must reach Central or have it in ~/.m2), runs the golden-fixture,
# chunking-invariance and step-scoring tests with every session on cuda:0 (every model folder,
# fp16 and int8 included), then `blt bench` on the GPU with calls from 1 Ki to 1 Mi tokens and the
# fp16 and int8 folders compared with fp32 (the input bytes in a call are about a third of its
# tokens: each 256-byte block is scored in a 768-token window, so 1 Mi tokens carry about 350 KB). Larger
# calls are left out: the graph's attention scores alone take rows × heads × 768² floats, 13 GB at
# 1 Mi tokens, 150 GB for the 4 MB of input the issue asked for. Writes everything to ${OUT:-build/gpu-check}.
# Needs an NVIDIA GPU with the CUDA 12 and cuDNN 9 libraries onnxruntime_gpu 1.28 loads, Java 17,
# Maven, and ../shared/data/eval/loghub. Asserts what the tests assert; the bench prints figures.
#
#   bench/gpu-check.sh            # cuda:0
#   DEVICE=cuda:1 bench/gpu-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
device="${DEVICE:-cuda:0}"
out="${OUT:-build/gpu-check}"
loghub="${LOGHUB:-../shared/data/eval/loghub}"
mkdir -p "$out"
deadline=$((SECONDS + 480))
left() { echo $((deadline - SECONDS)); }

{ echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"; nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader; } \
  | tee "$out/device.txt"
timeout "$(left)" mvn -B -q -ntp -Pgpu -DskipTests install 2>&1 | tee "$out/build.log"
# Every model session of these tests opens on the GPU (ModelFolders.sessionSettings); a CUDA failure
# is an error, never a fallback to the CPU.
timeout "$(left)" mvn -B -ntp -Pgpu -pl flink-job surefire:test -Dblt.test.device="$device" \
  -Dtest='GoldenFixtureIT,ChunkingInvarianceIT,StepScoringIT,BltStageInvarianceIT' 2>&1 | tee "$out/tests.log"
files=("$loghub/HDFS/HDFS_2k.log" "$loghub/OpenSSH/OpenSSH_2k.log" "$loghub/Spark/Spark_2k.log" "$loghub/Linux/Linux_2k.log")
timeout "$(left)" java -jar flink-job/target/blt.jar bench --device "$device" --max-bytes 1048576 --repeat 2 \
  --keys 1000 --no-key-scaling --call-tokens 1024,16384,262144,1048576 \
  --compare-model model-export/artifacts/blt-default-fp16 --compare-model model-export/artifacts/blt-default-int8 \
  "${files[@]}" 2>"$out/bench.err" \
  | tee "$out/bench.md"
echo "gpu-check: done in ${SECONDS}s; results in $out"
