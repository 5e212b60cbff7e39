#!/usr/bin/env bash
# Offline checks of the deployment files (docker/, k8s/) and of every shell script:
#   docker-compose config (CPU, and with the GPU override), kubectl kustomize of both overlays and of k8s/adapt,
#   schema validation of what they render (k8s/validate.py: Kubernetes core kinds, Strimzi and
#   Flink operator CRDs, vendored in k8s/schemas/), yamllint, shellcheck.
# Needs no Docker engine, cluster or network (apt only for a missing tool).
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
PYTHON=/usr/bin/python3  # Debian's Python, where python3-yaml and python3-jsonschema install

missing=()
for tool in docker-compose kubectl yamllint shellcheck; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
"$PYTHON" -c 'import yaml' 2>/dev/null || missing+=(python3-yaml)
"$PYTHON" -c 'import jsonschema' 2>/dev/null || missing+=(python3-jsonschema)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "check-deploy: installing ${missing[*]}" >&2
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

passed=0
failed=0
check() {  # check NAME COMMAND...: runs COMMAND, counts and reports the outcome
  local name="$1"
  shift
  echo "check-deploy: --- $name"
  if "$@"; then
    passed=$((passed + 1))
    echo "check-deploy: ok   $name"
  else
    failed=$((failed + 1))
    echo "check-deploy: FAIL $name"
  fi
}

render_and_validate() {  # render_and_validate KUSTOMIZATION-DIR
  local out
  out="$work/$(tr / - <<<"$1").yaml"
  kubectl kustomize "$1" >"$out" && "$PYTHON" k8s/validate.py "$out"
}

shell_scripts() {  # every shell script git knows of (tracked or new, not ignored), by name or shebang
  local f
  git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
    [ -f "$f" ] || continue
    case "$f" in
      *.sh | *.bash) printf '%s\0' "$f" ;;
      *) if head -n 1 "$f" 2>/dev/null | grep -qE '^#!.*\b(ba)?sh\b'; then printf '%s\0' "$f"; fi ;;
    esac
  done
}

run_shellcheck() {
  local scripts=()
  mapfile -d '' -t scripts < <(shell_scripts)
  printf '  %s\n' "${scripts[@]}"
  shellcheck "${scripts[@]}"
}

check "docker-compose config (cpu)" docker-compose -f docker/docker-compose.yml config -q
check "docker-compose config (gpu override)" \
  docker-compose -f docker/docker-compose.yml -f docker/docker-compose.gpu.yml config -q
check "kustomize + schemas: k8s/overlays/cpu" render_and_validate k8s/overlays/cpu
check "kustomize + schemas: k8s/overlays/gpu" render_and_validate k8s/overlays/gpu
check "kustomize + schemas: k8s/adapt" render_and_validate k8s/adapt
check "yamllint docker/ k8s/" yamllint --strict docker k8s
check "shellcheck" run_shellcheck

echo "check-deploy: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
