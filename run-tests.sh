#!/usr/bin/env bash
# Runs every test: the model-export pytest suite, then the Maven build with all Java tests.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=/usr/bin/python3  # Debian's Python, the one with torch; not the python3 first on PATH
if ! "$PYTHON" -c 'import torch, onnx' 2>/dev/null; then
  echo "run-tests: $PYTHON lacks torch/onnx; install python3-torch python3-onnx (or run .ci/run)" >&2
  exit 1
fi
# model-export's tests write a model with adapt.py under build/test-models/; the Java model tests
# then check it like the shipped ones. Start clean so it comes from this checkout's code.
rm -rf model-export/build/test-models
(cd model-export && "$PYTHON" -m pytest -q)
mvn -B -ntp verify
