#!/usr/bin/env bash
# Runs every test: the model-export pytest suite, then the Maven build with all Java tests.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=/usr/bin/python3  # Debian's Python, the one with torch; not the python3 first on PATH
if ! "$PYTHON" -c 'import torch, onnx, avro' 2>/dev/null; then
  echo "run-tests: $PYTHON lacks torch/onnx/avro; install python3-torch python3-onnx python3-avro (or run .ci/run)" >&2
  exit 1
fi
# model-export's tests write models with adapt.py and train_embedding.py under build/test-models/; the Java model tests
# then check them like the shipped ones. Start clean so it comes from this checkout's code.
rm -rf model-export/build/test-models
(cd model-export && "$PYTHON" -m pytest -q)
(cd examples && "$PYTHON" -m pytest -q -p no:cacheprovider test_blt_avro.py)
mvn -B -ntp verify
