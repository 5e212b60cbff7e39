#!/usr/bin/env bash
# Adapts the models to the Compose stack's own logs and rolls the running job over to them, the
# way docker/docker-compose.yml documents it, then prints before and after:
#
#   1. the stack comes up (docker/docker-compose.yml as it is) and the producer writes log lines;
#   2. once SAMPLE_RECORDS lines are in, the producer pauses (so that the checks below stay small;
#      the job keeps running) and the `adapt` service (profile adapt) samples blt.bytes, fine-tunes
#      for ADAPT_MINUTES and writes /models/adapted-<time> to the models volume (its validation
#      report on the newest tenth, which it held back, is printed);
#   3. the job is stopped with a savepoint (Flink REST: POST /jobs/<id>/stop) and started again
#      with BLT_MODEL=/models/adapted-<time>; `--resume latest` restores the savepoint, and each
#      stream switches to the new model where it stands;
#   4. the producer goes on; after AFTER_RECORDS record scores under the new model it stops; once the job has caught up, every input
#      record must have exactly one record score and the patches must rebuild the input (nothing
#      lost, nothing twice; e2e_check.py check --no-offline), and the table gives, per model, the
#      records it scored and their bits per byte (from blt.record-scores, read from the host).
#
#   mvn -B -ntp -q install -DskipTests     # the job jar (built here when missing)
#   docker/offline/build-images.sh         # only on a machine without a registry
#   docker/adapt-and-roll.sh
#
# Environment: ADAPT_MINUTES (2), SAMPLE_RECORDS (2000), AFTER_RECORDS (1500),
# PRODUCER_INTERVAL_S (0.02: about 40 lines a second), WAIT_S (900: limit of each wait),
# KEEP_STACK (0: `down -v` at the end; 1 leaves the stack up), BLT_JAR (flink-job/target/blt.jar).
# Needs docker-compose, curl, and on the host python3 with Debian's python3-confluent-kafka and
# python3-avro (the topics are read with librdkafka, as any client outside the stack would).
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
export ADAPT_MINUTES="${ADAPT_MINUTES:-2}"
export PRODUCER_INTERVAL_S="${PRODUCER_INTERVAL_S:-0.02}"
sample_records="${SAMPLE_RECORDS:-2000}"
after_records="${AFTER_RECORDS:-1500}"
wait_s="${WAIT_S:-900}"
keep="${KEEP_STACK:-0}"
rest=http://localhost:8081
export COMPOSE_PROJECT_NAME="${COMPOSE_PROJECT_NAME:-blt-adapt}"
compose=(docker-compose -f docker/docker-compose.yml)
check=(/usr/bin/python3 docker/offline/e2e_check.py --bootstrap-servers localhost:29092)
# shellcheck source=docker/compose-lib.sh
. docker/compose-lib.sh

jar="${BLT_JAR:-flink-job/target/blt.jar}"
if [ ! -f "$jar" ]; then
  echo "== $jar is missing: building it (mvn -B -ntp -q install -DskipTests)" >&2
  mvn -B -ntp -q install -DskipTests
fi
context=$(image_context "$jar")

teardown() {
  local rc=$?
  if [ "$rc" -ne 0 ]; then
    "${compose[@]}" logs --no-color --tail 200 >&2 || true
    echo "adapt-and-roll.sh FAILED (exit $rc)" >&2
  fi
  if [ "$keep" != 1 ]; then
    "${compose[@]}" --profile adapt down -v --remove-orphans >/dev/null 2>&1 || true
  fi
  rm -rf "$context"
}
trap teardown EXIT
trap 'exit 130' INT TERM

# rest_json PATH [PYTHON-EXPRESSION]: GET from the Flink REST API, the expression of its JSON `d`
rest_json() {
  curl -fsS "$rest$1" | /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print(${2:-d})"
}
running_job() { rest_json /jobs "next(j['id'] for j in d['jobs'] if j['status'] == 'RUNNING')" 2>/dev/null; }
# model_records MODEL_ID N: at least N record scores under that model
model_records() {
  "${check[@]}" models | /usr/bin/python3 -c "
import json, sys
rows = [json.loads(line) for line in sys.stdin]
sys.exit(0 if any(r['model_id'] == sys.argv[1] and r['records'] >= int(sys.argv[2]) for r in rows) else 1)" "$1" "$2"
}

t_start=$(now)
docker build -q -f docker/Dockerfile -t blt-flink "$context" >/dev/null
docker build -q -f docker/Dockerfile.adapt -t blt-adapt "$context" >/dev/null
figure "images built (blt-flink, blt-adapt)" "$(($(now) - t_start)) s"
"${compose[@]}" up -d --no-build
wait_for "a running job" running_job >/dev/null
wait_for "$sample_records input records" at_least blt.bytes "$sample_records"
figure "input records when adapt starts" "$(count blt.bytes)"

"${compose[@]}" stop producer
name="adapted-$(date -u +%Y%m%d-%H%M%S)"
t=$(now)
set +e
"${compose[@]}" --profile adapt run -T --rm --no-deps adapt --out "/models/$name" 2>&1 | tee "$context/adapt.log"
adapt_rc=${PIPESTATUS[0]}
set -e
if [ "$adapt_rc" -eq 3 ]; then
  echo "blt adapt refused the adapted model (worse on the held-back records): the job keeps its model" >&2
  exit 3
elif [ "$adapt_rc" -ne 0 ]; then
  echo "error: blt adapt failed (exit $adapt_rc)" >&2
  exit "$adapt_rc"
fi
new_model=$(sed -n 's/^wrote .* (\(.*\))$/\1/p' "$context/adapt.log" | tail -n 1)
figure "adapt (sample, training, report, folder)" "$(($(now) - t)) s, wrote /models/$name ($new_model)"

t=$(now)
job=$(running_job)
trigger=$(curl -fsS -X POST -H 'Content-Type: application/json' \
  -d '{"targetDirectory": "file:///tmp/flink-checkpoints/savepoints", "drain": false}' \
  "$rest/jobs/$job/stop" | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['request-id'])")
# savepoint_done: the stop's savepoint is complete (its path in $savepoint); fails the script when
# Flink reports it failed. In application mode the JobManager ends with its job, possibly before
# the poll: then its exit status 0 says the job finished, which only the stop makes it do.
savepoint=""
savepoint_done() {
  local state
  if state=$(rest_json "/jobs/$job/savepoints/$trigger" \
    "d['status']['id'] + ' ' + str(d.get('operation', {}).get('location') or d.get('operation', {}).get('failure-cause', {}).get('stack-trace', '')[:300])" 2>/dev/null); then
    case "$state" in
      "COMPLETED file:"*) savepoint="${state#COMPLETED }" ;;
      COMPLETED*) echo "error: the savepoint failed: ${state#COMPLETED }" >&2; exit 1 ;;
      *) return 1 ;;
    esac
  else
    running jobmanager && return 1
    [ "$(docker inspect -f '{{.State.ExitCode}}' "$("${compose[@]}" ps -q jobmanager)")" = 0 ] ||
      { echo "error: the JobManager ended with an error during the stop" >&2; exit 1; }
    savepoint="(the job finished after the stop; the JobManager has ended)"
  fi
}
wait_for "the savepoint of job $job" savepoint_done
figure "stopped with a savepoint" "$(($(now) - t)) s, at $(count blt.bytes) input records: $savepoint"
# Application mode: the JobManager ends with its job. Start it on the new folder; the TaskManager's
# settings do not change, it registers with the new JobManager.
BLT_MODEL="/models/$name" "${compose[@]}" up -d --no-build --no-deps jobmanager taskmanager
wait_for "the job running on $new_model" running_job >/dev/null
figure "running again on the new model" "$(($(now) - t)) s after the stop"
"${compose[@]}" logs --no-color jobmanager 2>&1 | grep -E "model changed|resuming from" | tail -n 2 >&2 || true
"${compose[@]}" start producer

wait_for "$after_records record scores under $new_model" model_records "$new_model" "$after_records"
"${compose[@]}" stop producer
wait_for "the job to catch up with the input" caught_up
result=$("${check[@]}" check --jar "$jar" --no-offline)
figure "checked (nothing lost, nothing twice)" "$result"
figure "whole run" "$(($(now) - t_start)) s"

echo
echo "adapt-and-roll.sh: validation report of blt adapt (held-back newest tenth of its sample)"
sed -n '/^held back:/,/^patch boundaries moved/p' "$context/adapt.log"
echo
echo "adapt-and-roll.sh: the job's record scores per model (BLT bits per byte, mean_bits_per_byte)"
"${check[@]}" models --switches | /usr/bin/python3 -c "
import json, sys
print(f\"{'model':<40} {'records':>8} {'bytes':>10} {'bits/byte':>10} {'streams it handed over':>23}\")
for line in sys.stdin:
    r = json.loads(line)
    print(f\"{r['model_id']:<40} {r['records']:>8} {r['bytes']:>10} {r['bits_per_byte']:>10.3f} {r['streams_switched_from']:>23}\")"
echo
printf '  %s\n' "${figures[@]}"
