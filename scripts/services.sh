#!/usr/bin/env bash
# Debian packages and local services the FedRad test suite talks to. Sourced by scripts/test.sh;
# also usable by hand: `scripts/services.sh start` prints the environment to export.
# Everything binds to 127.0.0.1 only.

FEDRAD_APT_PACKAGES=(
  rabbitmq-server          # MassTransit transport in the integration tests
  redis-server             # Orleans clustering, grain state and reminders in the cluster tests
  iproute2                 # network namespaces for the multi-host tests
  openssl                  # outside reference for the consortium PKI tests
  chromium                 # the dashboard's browser tests (Playwright drives /usr/bin/chromium)
  patchelf                 # TorchSharp on Debian 12: scripts/torchsharp-runtime.sh
  dcmtk libgdcm-tools      # dcmdump/dcmdjpeg/gdcmconv: outside references for the DICOM reader
  r-base-core r-cran-survival r-cran-glmnet r-cran-proc r-bioc-sva   # R: reference for the statistics
)

fedrad_as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "error: need root (or sudo) to run: $*" >&2; return 1; fi
}

fedrad_ensure_packages() {
  local missing=()
  for p in "${FEDRAD_APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing Debian packages: ${missing[*]}"
    fedrad_as_root apt-get update -qq
    fedrad_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# RabbitMQ on 127.0.0.1:5672 (epmd and the distribution port on loopback too).
export RABBITMQ_NODENAME=rabbit@localhost
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export RABBITMQ_NODE_PORT=5672
export ERL_EPMD_ADDRESS=127.0.0.1
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"

fedrad_start_rabbitmq() {
  if fedrad_as_root rabbitmqctl -n "$RABBITMQ_NODENAME" -q status >/dev/null 2>&1; then
    echo "== rabbitmq already running"
  else
    echo "== starting rabbitmq on 127.0.0.1:$RABBITMQ_NODE_PORT"
    local log="${TMPDIR:-/tmp}/fedrad-rabbitmq.log"
    fedrad_as_root env RABBITMQ_NODENAME="$RABBITMQ_NODENAME" RABBITMQ_NODE_IP_ADDRESS="$RABBITMQ_NODE_IP_ADDRESS" \
      RABBITMQ_NODE_PORT="$RABBITMQ_NODE_PORT" ERL_EPMD_ADDRESS="$ERL_EPMD_ADDRESS" \
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="$RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS" \
      nohup rabbitmq-server >"$log" 2>&1 &
    sleep 2
    if ! fedrad_as_root timeout 120 rabbitmqctl -n "$RABBITMQ_NODENAME" -q await_startup; then
      echo "error: rabbitmq did not start; its log:" >&2; tail -n 50 "$log" >&2; return 1
    fi
  fi
  export FEDRAD_TEST_RABBITMQ_URI="amqp://guest:guest@127.0.0.1:${RABBITMQ_NODE_PORT}/"
}

# Redis on 127.0.0.1:6379 with append-only persistence, its files in a private folder.
fedrad_start_redis() {
  if redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    echo "== redis already running"
  else
    echo "== starting redis on 127.0.0.1:6379"
    local dir="${TMPDIR:-/tmp}/fedrad-redis"
    mkdir -p "$dir"
    redis-server --bind 127.0.0.1 --port 6379 --appendonly yes --dir "$dir" --daemonize yes --logfile "$dir/redis.log" --save ""
    for _ in $(seq 1 50); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.1; done
    redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null || { echo "error: redis did not start; its log:" >&2; tail -n 30 "$dir/redis.log" >&2; return 1; }
  fi
  export FEDRAD_TEST_REDIS="127.0.0.1:6379"
}

fedrad_start_services() {
  fedrad_ensure_packages
  fedrad_start_rabbitmq
  fedrad_start_redis
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  case "${1:-start}" in
    start) fedrad_start_services; echo "export FEDRAD_TEST_RABBITMQ_URI=$FEDRAD_TEST_RABBITMQ_URI FEDRAD_TEST_REDIS=$FEDRAD_TEST_REDIS" ;;
    *) echo "usage: scripts/services.sh start" >&2; exit 2 ;;
  esac
fi
