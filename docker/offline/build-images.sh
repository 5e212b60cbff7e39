#!/usr/bin/env bash
# Builds, without any container registry, stand-ins for the upstream images the Compose stack
# uses, tagged with the upstream names, so that docker/docker-compose.yml and its tests run on a
# machine that reaches only Maven Central and a Debian mirror:
#
#   local/debian:bookworm  Debian 12 minbase from debootstrap on the apt mirror of this machine
#   local/jre17:bookworm   + OpenJDK 17 JRE from apt (the layer both stand-ins share)
#   apache/kafka:4.2.0     Kafka's jars from Maven Central + our KRaft entrypoint and scripts
#   flink:2.2.1-java17     Flink's jars from Maven Central + our entrypoint and bin/ scripts
#   debian:bookworm-slim   local/debian:bookworm under the upstream name (docker/Dockerfile.adapt's base)
#
# Users build on the official images; these exist only for registry-less machines (README).
# Starts the Docker engine first if it is not running (installs docker.io if dockerd is missing).
# Run as root from anywhere:  docker/offline/build-images.sh
#
# Environment: BLT_OFFLINE_DIR (/var/tmp/blt-offline): build contexts and fetched jars, outside
# git; DOCKERD_LOG, DOCKER_WAIT_S: see start-engine.sh.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
work="${BLT_OFFLINE_DIR:-/var/tmp/blt-offline}"
# The engine here (docker.io 20.10) has BuildKit only through the buildx plugin, which Debian 12
# does not package: the classic builder it is.
export DOCKER_BUILDKIT=0

timings=()
timed() {  # timed LABEL COMMAND [ARGS...]: runs the command and records its duration
  local label="$1" start end
  shift
  start=$(date +%s)
  "$@"
  end=$(date +%s)
  timings+=("$(printf '%-28s %5d s' "$label" $((end - start)))")
  echo "== $label: $((end - start)) s" >&2
}

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# upstream_image NAME: true when NAME exists and is not one of our stand-ins (it was pulled), which
# is then kept as it is.
upstream_image() {
  image_exists "$1" &&
    [ "$(docker image inspect -f '{{index .Config.Labels "dev.blt.offline-stand-in"}}' "$1")" != true ]
}

start_engine() {
  if ! command -v dockerd >/dev/null 2>&1 && ! docker info >/dev/null 2>&1; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends docker.io
  fi
  "$here/start-engine.sh"
}

debian_mirror() {  # the Debian mirror apt uses here for bookworm (deb822 or one-line sources)
  local f mirror=""
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    case "$f" in
      *.sources)
        # deb822: the URIs of the paragraph whose Suites holds "bookworm" itself
        mirror=$(awk 'BEGIN { RS = ""; FS = "\n" }
          {
            uris = ""; ok = 0
            for (i = 1; i <= NF; i++) {
              if ($i ~ /^URIs:/) { split($i, u, /[ \t]+/); uris = u[2] }
              if ($i ~ /^Suites:/ && $i ~ /[ \t]bookworm([ \t]|$)/) ok = 1
            }
            if (ok && uris != "") { print uris; exit }
          }' "$f")
        ;;
      *)
        mirror=$(awk '$1 == "deb" {
            n = 2; if ($2 ~ /^\[/) { while ($n !~ /\]$/) n++; n++ }
            if ($(n + 1) == "bookworm") { print $n; exit }
          }' "$f")
        ;;
    esac
    if [ -n "$mirror" ]; then
      printf '%s\n' "$mirror"
      return 0
    fi
  done
  echo "error: no bookworm entry in /etc/apt/sources.list{,.d}: cannot tell which mirror to use" >&2
  return 1
}

build_base() {
  if image_exists local/debian:bookworm; then
    echo "local/debian:bookworm exists, kept" >&2
    return 0
  fi
  if ! command -v debootstrap >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap
  fi
  local mirror rootfs="$work/rootfs"
  mirror=$(debian_mirror)
  echo "debootstrap from $mirror" >&2
  rm -rf "$rootfs"
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror"
  # The rootfs keeps the .debs it installed; an image does not need them.
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | docker import - local/debian:bookworm
  rm -rf "$rootfs"
}

# fetch_jars POM DEST [EXTRA_GOAL_ARGS...]: the runtime jars POM lists, into DEST. Skipped when
# DEST already holds the jars of this very POM (its checksum is kept next to them).
fetch_jars() {
  local pom="$1" dest="$2" sum
  sum=$(sha256sum "$pom" | cut -d' ' -f1)
  if [ -f "$dest/.pom.sha256" ] && [ "$(cat "$dest/.pom.sha256")" = "$sum" ]; then
    echo "$dest is up to date with $(basename "$pom"), kept" >&2
    return 0
  fi
  rm -rf "$dest"
  mkdir -p "$dest"
  mvn -B -ntp -q -f "$pom" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$dest"
  printf '%s\n' "$sum" >"$dest/.pom.sha256"
}

# context NAME: a fresh build context under $work with our files for that image (the jars stay)
context() {
  local ctx="$work/$1-context"
  mkdir -p "$ctx"
  find "$ctx" -mindepth 1 -maxdepth 1 ! -name lib ! -name opt -exec rm -rf {} +
  cp -a "$here/$1/." "$ctx/"
  printf '%s\n' "$ctx"
}

build_jre() {
  # No context: the Dockerfile copies nothing.
  docker build -t local/jre17:bookworm - <"$here/Dockerfile.jre17"
}

build_kafka() {
  if upstream_image apache/kafka:4.2.0; then
    echo "apache/kafka:4.2.0 is the upstream image, kept" >&2
    return 0
  fi
  local ctx
  ctx=$(context kafka)
  fetch_jars "$here/kafka-jars.pom.xml" "$ctx/lib"
  docker build -t apache/kafka:4.2.0 -f "$here/Dockerfile.kafka" "$ctx"
}

build_flink() {
  if upstream_image flink:2.2.1-java17; then
    echo "flink:2.2.1-java17 is the upstream image, kept" >&2
    return 0
  fi
  local ctx
  ctx=$(context flink)
  fetch_jars "$here/flink-jars.pom.xml" "$ctx/lib"
  # The Prometheus reporter goes to opt/, as in the distribution (not on the class path).
  if [ ! -f "$ctx/opt/flink-metrics-prometheus-2.2.1.jar" ]; then
    mkdir -p "$ctx/opt"
    mvn -B -ntp -q -f "$here/flink-jars.pom.xml" dependency:copy \
      -Dartifact=org.apache.flink:flink-metrics-prometheus:2.2.1 -DoutputDirectory="$ctx/opt"
  fi
  docker build -t flink:2.2.1-java17 -f "$here/Dockerfile.flink" "$ctx"
}

build_debian_slim() {
  if upstream_image debian:bookworm-slim; then
    echo "debian:bookworm-slim is the upstream image, kept" >&2
    return 0
  fi
  # A label on top, so that upstream_image tells the stand-in apart; no other change.
  printf 'FROM local/debian:bookworm\nLABEL dev.blt.offline-stand-in="true"\n' |
    docker build -t debian:bookworm-slim -
}

mkdir -p "$work"
total_start=$(date +%s)
timed "docker engine" start_engine
timed "local/debian:bookworm" build_base
timed "local/jre17:bookworm" build_jre
timed "apache/kafka:4.2.0" build_kafka
timed "flink:2.2.1-java17" build_flink
timed "debian:bookworm-slim" build_debian_slim
timings+=("$(printf '%-28s %5d s' total $(($(date +%s) - total_start)))")

echo
echo "build-images.sh durations:"
printf '  %s\n' "${timings[@]}"
docker image ls --format '  {{.Repository}}:{{.Tag}} {{.Size}}' |
  grep -E 'local/(debian|jre17)|apache/kafka|flink:2.2.1|debian:bookworm-slim' || true
