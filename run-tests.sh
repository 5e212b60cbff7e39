#!/usr/bin/env bash
# Runs every test: the model-export pytest suite, the Maven build with all Java tests and, where a
# Docker engine runs or can be started, the Compose stack end to end (docker/offline/compose-e2e.sh).
# With an engine the job tests run on Testcontainers' Kafka; without one, on the in-JVM broker,
# and this says so.
#
# BLT_DOCKER_TESTS=off skips the Docker parts on a machine that has an engine.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=/usr/bin/python3  # Debian's Python, the one with torch; not the python3 first on PATH
if ! "$PYTHON" -c 'import torch, onnx, avro' 2>/dev/null; then
  echo "run-tests: $PYTHON lacks torch/onnx/avro; install python3-torch python3-onnx python3-avro (or run .ci/run)" >&2
  exit 1
fi

# The Compose test runs beside the other tests: the job jar and the images are built in the
# background while the Python tests run, then the stack runs beside the Maven tests.
work=$(mktemp -d)
docker_pid=""
cleanup() {
  if [ -n "$docker_pid" ]; then kill "$docker_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
if [ "${BLT_DOCKER_TESTS:-auto}" = off ]; then
  echo "run-tests: Docker tests off (BLT_DOCKER_TESTS=off): no Compose test; job tests on the in-JVM broker"
  export BLT_TEST_KAFKA=embedded
elif ! why=$(docker/offline/start-engine.sh 2>&1); then
  echo "run-tests: ${why##*$'\n'}"
  echo "run-tests: so no Compose end-to-end test, and the job tests use the in-JVM Kafka broker"
  export BLT_TEST_KAFKA=embedded
else
  echo "run-tests: Docker engine up: jar and images, then the Compose end-to-end test, in the background (log: $work/docker.log)"
  # With an engine the job tests must run on Testcontainers, not fall back to the in-JVM broker.
  export BLT_TEST_KAFKA=testcontainers
  if [ -f /.dockerenv ] && pgrep -x dockerd >/dev/null; then
    # This machine is a container running its own dockerd, so published ports are on localhost.
    # Left alone, Testcontainers looks for the host's gateway with an alpine container, which
    # without a registry it retries pulling for two minutes before every container.
    export TESTCONTAINERS_HOST_OVERRIDE="${TESTCONTAINERS_HOST_OVERRIDE:-localhost}"
  fi
  (
    # The jar the image copies (the verify below rebuilds the same); copied, as verify rewrites it.
    mvn -B -ntp -q install -DskipTests
    cp flink-job/target/blt.jar "$work/blt.jar"
    docker/offline/build-images.sh
    touch "$work/images-ready"
    BLT_JAR="$work/blt.jar" docker/offline/compose-e2e.sh
  ) >"$work/docker.log" 2>&1 &
  docker_pid=$!
fi

# model-export's tests write models with adapt.py and train_embedding.py under build/test-models/; the Java model tests
# then check them like the shipped ones. Start clean so it comes from this checkout's code.
rm -rf model-export/build/test-models
(cd model-export && "$PYTHON" -m pytest -q)
(cd examples && "$PYTHON" -m pytest -q -p no:cacheprovider test_blt_avro.py)

if [ -n "$docker_pid" ]; then
  # Maven must be done with the jar, and the job tests start Testcontainers' Kafka from the image.
  while [ ! -f "$work/images-ready" ]; do
    if ! kill -0 "$docker_pid" 2>/dev/null; then
      echo "run-tests: building the jar or the images failed:" >&2
      tail -n 40 "$work/docker.log" >&2
      exit 1
    fi
    sleep 2
  done
fi
maven_rc=0
mvn -B -ntp verify || maven_rc=$?

if [ -n "$docker_pid" ]; then
  echo "run-tests: waiting for the Compose end-to-end test"
  if wait "$docker_pid"; then
    docker_pid=""
    # The two scripts' figures: their headers and the indented lines under them.
    awk '/^(build-images|compose-e2e)\.sh (durations|figures):/ { show = 1; print; next }
         show && /^  / { print; next } { show = 0 }' "$work/docker.log"
  else
    docker_pid=""
    echo "run-tests: the Compose end-to-end test FAILED:" >&2
    tail -n 60 "$work/docker.log" >&2
    exit 1
  fi
fi
if [ "$maven_rc" -ne 0 ]; then
  echo "run-tests: the Maven build FAILED (exit $maven_rc)" >&2
  exit "$maven_rc"
fi
