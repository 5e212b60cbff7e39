# Helpers of the scripts that drive docker/docker-compose.yml from the host (compose-e2e.sh,
# adapt-and-roll.sh); sourced, not run. The caller sets:
#   compose  (array) the docker-compose command with its -f file
#   check    (array) docker/offline/e2e_check.py with its --bootstrap-servers (a client outside
#            the stack: librdkafka, read_committed)
#   wait_s   the limit of each wait, in seconds
# shellcheck shell=bash disable=SC2154  # compose, check and wait_s: set by the caller

now() { date +%s; }

figures=()
figure() { figures+=("$(printf '%-44s %s' "$1" "$2")"); echo "== $1: $2" >&2; }

# count TOPIC: committed records of the topic
count() { "${check[@]}" count --topics "$1" | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

# wait_for WHAT COMMAND...: polls COMMAND every 3 s until it succeeds, at most $wait_s seconds
wait_for() {
  local what="$1" deadline=$((SECONDS + wait_s))
  shift
  until "$@"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "error: timed out after ${wait_s} s waiting for: $what" >&2
      return 1
    fi
    sleep 3
  done
}

at_least() { [ "$(count "$1")" -ge "$2" ]; }

# caught_up: one record score per input record, and the counts unchanged over two reads
# (5 s checkpoints: an output commit lands at most one interval after its input).
caught_up() {
  local a b
  a=$("${check[@]}" count --topics blt.bytes blt.record-scores)
  /usr/bin/python3 -c "import json,sys; d=json.loads(sys.argv[1]); sys.exit(d['blt.record-scores'] != d['blt.bytes'])" "$a" || return 1
  sleep 6
  b=$("${check[@]}" count --topics blt.bytes blt.record-scores)
  [ "$a" = "$b" ]
}

# running SERVICE: its container exists and runs
running() {
  local id
  id=$("${compose[@]}" ps -q "$1")
  [ -n "$id" ] && [ "$(docker inspect -f '{{.State.Running}}' "$id")" = true ]
}

# image_context DIR: the build context of docker/Dockerfile and docker/Dockerfile.adapt, only what
# they copy (the classic builder, without BuildKit here, ignores .dockerignore files and would send
# the whole checkout); the jar is copied first, so that a build running meanwhile may rewrite it.
image_context() {
  local jar="$1" dir
  dir=$(mktemp -d)
  mkdir -p "$dir/flink-job/target" "$dir/model-export/artifacts"
  cp "$jar" "$dir/flink-job/target/blt.jar"
  cp -r model-export/artifacts/blt-default "$dir/model-export/artifacts/"
  cp model-export/adapt.py model-export/train.py "$dir/model-export/"
  cp -r model-export/blt_models "$dir/model-export/"
  find "$dir/model-export/blt_models" -name __pycache__ -prune -exec rm -rf {} +
  printf '%s\n' "$dir"
}
