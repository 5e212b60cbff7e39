#!/usr/bin/env bash
# Writes synthetic log lines to Kafka: key = stream id (host/service), value = one log line.
# Runs in the apache/kafka image, as the `producer` service of docker-compose.yml.
#   BOOTSTRAP_SERVERS (kafka:9092), TOPIC (blt.bytes), INTERVAL_S (0.2: pause between lines),
#   LINES (0: forever)
set -euo pipefail
bootstrap="${BOOTSTRAP_SERVERS:-kafka:9092}"
topic="${TOPIC:-blt.bytes}"
interval="${INTERVAL_S:-0.2}"
lines="${LINES:-0}"

paths=(/ /index.html /api/v1/items /api/v1/items/42 /api/v1/orders /static/app.js /healthz /login)
agents=("Mozilla/5.0 (X11; Linux x86_64)" "curl/8.5.0" "kube-probe/1.31" "python-requests/2.32.3")
users=(alice bob carol dave erin)

pick() {  # pick ITEM...: one of them at random
  local items=("$@")
  printf '%s' "${items[RANDOM % $#]}"
}

line() {  # one "key|value" line
  local now status
  printf -v now '%(%Y-%m-%dT%H:%M:%S)T' -1
  case $((RANDOM % 4)) in
    0 | 1)
      status=200
      if [ $((RANDOM % 10)) -eq 0 ]; then status=$(( (RANDOM % 2) ? 404 : 503 )); fi
      printf 'web-%d/nginx|10.0.%d.%d - - [%s +0000] "GET %s HTTP/1.1" %d %d "-" "%s"\n' \
        $((RANDOM % 2 + 1)) $((RANDOM % 4)) $((RANDOM % 250 + 2)) "$now" "$(pick "${paths[@]}")" \
        "$status" $((RANDOM % 20000 + 120)) "$(pick "${agents[@]}")"
      ;;
    2)
      if [ $((RANDOM % 20)) -eq 0 ]; then
        printf 'api-1/app|%s ERROR [worker-%d] OrderService - payment failed for order %d: %s\n' \
          "$now" $((RANDOM % 8)) $((RANDOM * 7)) "java.net.SocketTimeoutException: Read timed out"
      else
        printf 'api-1/app|%s INFO  [worker-%d] OrderService - order %d placed by %s in %d ms\n' \
          "$now" $((RANDOM % 8)) $((RANDOM * 7)) "$(pick "${users[@]}")" $((RANDOM % 300 + 3))
      fi
      ;;
    *)
      printf 'db-1/postgres|%s UTC [%d] LOG:  duration: %d.%03d ms  statement: SELECT * FROM items WHERE id = %d\n' \
        "$now" $((RANDOM % 900 + 100)) $((RANDOM % 50)) $((RANDOM % 1000)) $((RANDOM % 5000))
      ;;
  esac
}

emit() {
  local n=0
  while [ "$lines" -eq 0 ] || [ "$n" -lt "$lines" ]; do
    line
    n=$((n + 1))
    sleep "$interval" 2>/dev/null || sleep 1
  done
}

echo "log-producer: writing to $topic on $bootstrap" >&2
emit | /opt/kafka/bin/kafka-console-producer.sh --bootstrap-server "$bootstrap" --topic "$topic" \
  --property parse.key=true --property key.separator='|'
