# Shared by the benchmark scripts of tools/bench/ (sourced, not run): packages, a temporary
# directory, loopback ports, starting and stopping Redis, etcd and kvnode, and the result table.
#
# Everything a script starts is recorded in BENCH_PIDS and stopped by the EXIT trap (SIGTERM, then
# SIGKILL after 10 s), and the temporary directory is removed, whatever way the script ends (the
# servers' logs are copied to RESULTS/logs/ first when it fails).
# Nothing but those pids is ever signalled.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build/release}"
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR="$ROOT/$BUILD_DIR" ;; esac
KVNODE="$BUILD_DIR/tools/kvnode"
OPENLOOP="$BUILD_DIR/tools/openloop"
RESULTS="${RESULTS:-$ROOT/tools/bench/results}"
# Ports: BENCH_PORT_BASE + 0..999 (Redis +1xx, kvnode peers +2xx, HTTP +3xx, RESP +4xx, etcd +5xx).
# Below the kernel's ephemeral range (32768-60999 by default): a port the load generators' own
# connections used can sit in TIME_WAIT for a minute, and a listener cannot take it then.
BENCH_PORT_BASE="${BENCH_PORT_BASE:-22000}"
# Pin single-node servers to CPU 0 and their load generator to CPU 1 (on 2+ CPUs).
BENCH_PIN="${BENCH_PIN:-1}"

BENCH_PIDS=()
BENCH_TMP=""

bench_log() { echo "bench: $*" >&2; }
bench_die() { echo "bench: $*" >&2; exit 1; }

# Installs the Debian packages the benchmarks need (idempotent; apt-get only when one is missing).
bench_install() {
  local packages=(redis-server redis-tools etcd-server etcd-client wrk gnuplot-nox jq curl
                  util-linux iproute2)
  local missing=() p
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  bench_log "installing ${missing[*]}"
  # The packages' services must not start: the scripts run their own instances.
  local policy=/usr/sbin/policy-rc.d made_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod +x "$policy"
    made_policy=1
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
  [ "$made_policy" = 1 ] && $sudo rm -f "$policy"
  return 0
}

bench_cleanup() {
  local status=$? pid
  for pid in "${BENCH_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${BENCH_PIDS[@]}"; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  BENCH_PIDS=()
  if [ -n "$BENCH_TMP" ] && [ "$status" -ne 0 ]; then
    mkdir -p "$RESULTS/logs"
    cp "$BENCH_TMP"/*.log "$RESULTS/logs/" 2>/dev/null || true
    echo "bench: failed (exit $status); server logs copied to $RESULTS/logs/" >&2
  fi
  [ -n "$BENCH_TMP" ] && rm -rf "$BENCH_TMP"
  return 0
}

# Creates the temporary directory and installs the trap. Call once, first.
bench_init() {
  BENCH_TMP="$(mktemp -d "${TMPDIR:-/tmp}/dynkv-bench.XXXXXX")"
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
  mkdir -p "$RESULTS"
  local p low high
  read -r low high </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || { low=32768; high=60999; }
  if [ $((BENCH_PORT_BASE + 999)) -ge "$low" ] && [ "$BENCH_PORT_BASE" -le "$high" ]; then
    bench_die "BENCH_PORT_BASE=$BENCH_PORT_BASE overlaps the ephemeral port range $low-$high (a client's port can take a server's); choose one below $((low - 1000))"
  fi
  for p in $(seq $((BENCH_PORT_BASE + 100)) $((BENCH_PORT_BASE + 599))); do
    if ss -Htan "sport = :$p" 2>/dev/null | grep -q .; then
      bench_die "port $p is in use; set BENCH_PORT_BASE to a free range of 1000 ports"
    fi
  done
}

# Stops the processes whose pids are given (and forgets them), SIGTERM first.
bench_stop() {
  local pid keep=() p
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "$@"; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  for p in "${BENCH_PIDS[@]}"; do [[ " $* " == *" $p "* ]] || keep+=("$p"); done
  BENCH_PIDS=("${keep[@]}")
}

# CPU pinning prefixes: servers on CPU 0, clients on CPU 1.
bench_server_cpu() { if [ "$BENCH_PIN" = 1 ] && [ "$(nproc)" -ge 2 ]; then echo "taskset -c 0"; fi; }
bench_client_cpu() { if [ "$BENCH_PIN" = 1 ] && [ "$(nproc)" -ge 2 ]; then echo "taskset -c 1"; fi; }

# Waits until `cmd...` succeeds (100 ms steps), at most $1 seconds.
bench_wait() {
  local seconds="$1"; shift
  local tries=$((seconds * 10))
  while ((tries-- > 0)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}

# start_redis NAME PORT APPENDFSYNC [PIN]: a Redis with AOF on (appendfsync everysec|always), no
# RDB snapshots. Sets REDIS_PID.
start_redis() {
  local name="$1" port="$2" fsync="$3" pin="${4:-}"
  mkdir -p "$BENCH_TMP/$name"
  # shellcheck disable=SC2086
  $pin redis-server --port "$port" --bind 127.0.0.1 --dir "$BENCH_TMP/$name" --appendonly yes \
    --appendfsync "$fsync" --save '' --daemonize no --protected-mode no \
    >"$BENCH_TMP/$name.log" 2>&1 &
  REDIS_PID=$!
  BENCH_PIDS+=("$REDIS_PID")
  bench_wait 10 redis-cli -p "$port" PING || bench_die "redis $name did not start ($BENCH_TMP/$name.log)"
}

kvnode_up() {  # node http address: the node sees `owners` owners and no transfers in progress
  curl -sf "http://$1/cluster" | jq -e --argjson n "$2" \
    '([.members[] | select(.partitions > 0 and .alive)] | length) == $n and (.transfers | length) == 0' 
}

# start_kvnodes NAME COUNT PIN FLAGS...: COUNT kvnode processes (node 1 bootstraps, the others
# join through it) on BENCH_PORT_BASE+2xx (peers), +3xx (HTTP), +4xx (RESP), numbered from the
# per-script counter KVNODE_SLOT so that two clusters never share ports. Waits until every node
# sees all of them owning partitions. Sets KVNODE_PIDS, KVNODE_HTTP and KVNODE_RESP (comma lists).
KVNODE_SLOT=0
start_kvnodes() {
  local name="$1" count="$2" pin="$3"; shift 3
  [ -x "$KVNODE" ] || bench_die "no kvnode at $KVNODE (build it, or set BUILD_DIR)"
  local first=$((KVNODE_SLOT + 1)) i slot seeds
  seeds="1@127.0.0.1:$((BENCH_PORT_BASE + 200 + first))"
  KVNODE_PIDS=(); KVNODE_HTTP=""; KVNODE_RESP=""
  for i in $(seq 1 "$count"); do
    slot=$((KVNODE_SLOT + i))
    # shellcheck disable=SC2086
    $pin "$KVNODE" --id "$i" --data-dir "$BENCH_TMP/$name/n$i" \
      --peer "127.0.0.1:$((BENCH_PORT_BASE + 200 + slot))" \
      --http "127.0.0.1:$((BENCH_PORT_BASE + 300 + slot))" \
      --redis "127.0.0.1:$((BENCH_PORT_BASE + 400 + slot))" \
      --seeds "$seeds" --log-level warn "$@" >"$BENCH_TMP/$name.n$i.log" 2>&1 &
    KVNODE_PIDS+=($!)
    BENCH_PIDS+=($!)
    KVNODE_HTTP+="${KVNODE_HTTP:+,}127.0.0.1:$((BENCH_PORT_BASE + 300 + slot))"
    KVNODE_RESP+="${KVNODE_RESP:+,}127.0.0.1:$((BENCH_PORT_BASE + 400 + slot))"
  done
  KVNODE_SLOT=$((KVNODE_SLOT + count))
  local http
  for http in ${KVNODE_HTTP//,/ }; do
    bench_wait 60 kvnode_up "$http" "$count" ||
      bench_die "kvnode $name did not form a ring of $count (logs: $BENCH_TMP/$name.n*.log)"
  done
}

# start_etcd NAME COUNT: an etcd cluster of COUNT members on BENCH_PORT_BASE+5xx (client 5x1..,
# peer 5x1+50..), default settings (every write fsynced by a quorum before it is acknowledged).
# Sets ETCD_PIDS and ETCD_HTTP (comma list of client addresses).
start_etcd() {
  local name="$1" count="$2" i cluster=""
  for i in $(seq 1 "$count"); do
    cluster+="${cluster:+,}m$i=http://127.0.0.1:$((BENCH_PORT_BASE + 550 + i))"
  done
  ETCD_PIDS=(); ETCD_HTTP=""
  for i in $(seq 1 "$count"); do
    local client="127.0.0.1:$((BENCH_PORT_BASE + 500 + i))" peer="127.0.0.1:$((BENCH_PORT_BASE + 550 + i))"
    etcd --name "m$i" --data-dir "$BENCH_TMP/$name/m$i" \
      --listen-client-urls "http://$client" --advertise-client-urls "http://$client" \
      --listen-peer-urls "http://$peer" --initial-advertise-peer-urls "http://$peer" \
      --initial-cluster "$cluster" --initial-cluster-state new \
      --initial-cluster-token dynkv-bench --logger zap --log-level warn \
      >"$BENCH_TMP/$name.m$i.log" 2>&1 &
    ETCD_PIDS+=($!)
    BENCH_PIDS+=($!)
    ETCD_HTTP+="${ETCD_HTTP:+,}$client"
  done
  local c
  for c in ${ETCD_HTTP//,/ }; do
    bench_wait 60 sh -c "curl -sf http://$c/health | grep -q '\"health\":\"true\"'" ||
      bench_die "etcd $name did not become healthy (logs: $BENCH_TMP/$name.m*.log)"
  done
}

# The mean of the numbers on stdin (one per line), printed with $1 decimals.
bench_mean() { awk -v d="${1:-1}" '{ s += $1; n++ } END { if (n) printf "%.*f\n", d, s / n; else print "-" }'; }

# field NAME LINE: the value of NAME=... in a key=value line.
bench_field() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p" | head -1; }

# Appends a row to the table: section, test, peer name, peer figures, kvnode figures, ratio.
bench_row() {
  printf '| %s | %s | %s | %s | %s | %s |\n' "$@" >>"$RESULTS/table.md.part"
}

bench_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.2fx\n", a / b; else print "-" }'; }
