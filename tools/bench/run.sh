#!/usr/bin/env bash
# Benchmarks kvnode against Redis 7 and etcd 3.4 on loopback, and prints one table.
#
#   tools/bench/run.sh [SECTION...]        (default: every section, in this order)
#
# Sections (PERFORMANCE.md states each one's settings and why):
#   single    Redis (AOF, appendfsync everysec) vs one kvnode (N=1, durability interval 1 s):
#             redis-benchmark -t set,get -c 50 -r 100000, -P 1 and -P 16, values of 3 B and 1 KiB
#   always    Redis (appendfsync always) vs one kvnode (durability sync), same load
#   cluster   etcd, 3 members, vs 3 kvnodes (N=3, W=2, R=2, sync): wrk over HTTP, the same Lua
#             script (tools/bench/kv_http.lua), the same connections, puts then gets
#   openloop  3 kvnodes (N=3, W=2, R=2, sync), 10,000 (then 2,000) requests/s open loop,
#             80/15/5 GET/SET/DEL, 1 KiB values, 256 connections (tools/bench/openloop.cc);
#             Redis everysec as a reference. Latency counts from each request's due time; a
#             run whose client-side queue passes five seconds of requests is stopped (overloaded).
#   sim       the simulator's speed: kv_cluster_bench's ops_per_wall_second
#   rss       resident memory of one kvnode (and of Redis) holding 1M keys of 1 KiB
#
# Every comparison runs REPEAT times interleaved (peer, kvnode, peer, kvnode, ...) and reports
# the means and the kvnode/peer ratio. Single-node servers run on CPU 0 and the load generator on
# CPU 1 (BENCH_PIN=0 turns that off); clusters and their clients are not pinned.
#
# Environment: BUILD_DIR (default build/release; needs kvnode, openloop, kv_cluster_bench),
# RESULTS (default tools/bench/results), REPEAT (2), BENCH_PORT_BASE (22000), N_P1 (100000) and
# N_P16 (500000) requests per redis-benchmark test, WRK_SECONDS (10), WRK_CONNECTIONS (48),
# OL_RATES ("10000 2000": the target and a rate a loaded 2-CPU machine sustains), OL_SECONDS (20), OL_WARMUP (5), OL_CONNECTIONS (256), RSS_KEYS (1000000).
#
# Output: the table on stdout and in RESULTS/table.md (with the machine and versions), every run
# in RESULTS/raw.csv, percentile spectra in RESULTS/pct/, the plot RESULTS/latency.svg.
# Everything started is stopped on exit; data lives in a temporary directory that is removed.
set -euo pipefail
# shellcheck source=tools/bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# The benchmark binaries are not in the default build.
[ -f "$BUILD_DIR/build.ninja" ] || bench_die "no build in $BUILD_DIR (tools/build.sh release)"
ninja -C "$BUILD_DIR" kvnode openloop kv_cluster_bench >/dev/null

REPEAT="${REPEAT:-2}"
N_P1="${N_P1:-100000}"
N_P16="${N_P16:-500000}"
WRK_SECONDS="${WRK_SECONDS:-10}"
WRK_CONNECTIONS="${WRK_CONNECTIONS:-48}"
OL_RATES="${OL_RATES:-10000 2000}"
OL_SECONDS="${OL_SECONDS:-20}"
OL_WARMUP="${OL_WARMUP:-5}"
OL_CONNECTIONS="${OL_CONNECTIONS:-256}"
RSS_KEYS="${RSS_KEYS:-1000000}"
B="$BENCH_PORT_BASE"

# raw.csv: section,test,system,repeat,ops_per_second,p50_ms,p99_ms,p999_ms
raw() { echo "$1,$2,$3,$4,$5,$6,$7,${8:-}" >>"$RESULTS/raw.csv"; }

# "12,345 ops/s; p50 0.62 / p99 9.3 ms" from the mean of section/test/system's runs.
figures() {
  awk -F, -v s="$1" -v t="$2" -v y="$3" '
    $1 == s && $2 == t && $3 == y { n++; ops += $5; p50 += $6; p99 += $7; if ($8 != "") { p999 += $8; m++ } }
    END {
      if (!n) { print "-"; exit }
      out = sprintf("%d ops/s; p50 %.2f / p99 %.2f", ops / n, p50 / n, p99 / n)
      if (m) out = out sprintf(" / p99.9 %.2f", p999 / m)
      print out " ms"
    }' "$RESULTS/raw.csv"
}
mean_ops() {
  awk -F, -v s="$1" -v t="$2" -v y="$3" '$1 == s && $2 == t && $3 == y { n++; ops += $5 }
    END { if (n) printf "%.1f\n", ops / n; else print 0 }' "$RESULTS/raw.csv"
}
# A table row comparing kvnode with `peer` on section/test.
compare_row() {
  local section="$1" test="$2" peer="$3" peer_label="$4"
  bench_row "$section" "$test" "$peer_label" "$(figures "$section" "$test" "$peer")" \
    "$(figures "$section" "$test" kvnode)" \
    "$(bench_ratio "$(mean_ops "$section" "$test" kvnode)" "$(mean_ops "$section" "$test" "$peer")")"
}

# redis_benchmark SECTION SYSTEM REP PORT PIPELINE VALUE_BYTES: one redis-benchmark run (SET then
# GET), recorded in raw.csv as tests "SET -P1 3 B" etc.
redis_benchmark() {
  local section="$1" system="$2" rep="$3" port="$4" pipeline="$5" bytes="$6" n
  n=$([ "$pipeline" = 1 ] && echo "$N_P1" || echo "$N_P16")
  local out
  # shellcheck disable=SC2046
  out=$($(bench_client_cpu) redis-benchmark -h 127.0.0.1 -p "$port" -t set,get -c 50 -r 100000 \
    -n "$n" -P "$pipeline" -d "$bytes" --csv | tr -d '"')
  local op rps p50 p99
  while IFS=, read -r op rps _ _ p50 _ p99 _; do
    case "$op" in SET|GET) ;; *) continue ;; esac
    raw "$section" "$op -P$pipeline $bytes B" "$system" "$rep" "$rps" "$p50" "$p99"
    bench_log "$section $op -P$pipeline ${bytes}B $system #$rep: $rps ops/s p50 $p50 p99 $p99 ms"
  done <<<"$out"
}

# single_node SECTION REDIS_FSYNC KVNODE_DURABILITY VALUE_SIZES
single_node() {
  local section="$1" fsync="$2" durability="$3" sizes="$4"
  local redis_port=$((B + 101 + KVNODE_SLOT))
  start_redis "redis-$section" "$redis_port" "$fsync" "$(bench_server_cpu)"
  local redis_pid="$REDIS_PID"
  start_kvnodes "kvnode-$section" 1 "$(bench_server_cpu)" --n 1 --r 1 --w 1 \
    --durability "$durability" --sync-interval 1s
  local kv_port="${KVNODE_RESP##*:}" kv_pids=("${KVNODE_PIDS[@]}")
  local bytes pipeline rep op
  for bytes in $sizes; do
    for pipeline in 1 16; do
      for rep in $(seq 1 "$REPEAT"); do
        redis_benchmark "$section" redis "$rep" "$redis_port" "$pipeline" "$bytes"
        redis_benchmark "$section" kvnode "$rep" "$kv_port" "$pipeline" "$bytes"
      done
      for op in SET GET; do
        compare_row "$section" "$op -P$pipeline $bytes B" redis "Redis 7, appendfsync $fsync"
      done
    done
  done
  bench_stop "$redis_pid" "${kv_pids[@]}"
}

# wrk_run SECTION SYSTEM REP OP TARGETS: one wrk run of kv_http.lua.
wrk_run() {
  local section="$1" system="$2" rep="$3" op="$4" targets="$5" threads
  threads=$(tr ',' '\n' <<<"$targets" | wc -l)
  local line
  line=$(KV_SYSTEM="$system" KV_OP="$op" KV_TARGETS="$targets" KV_THREADS="$threads" \
    KV_KEYS=10000 KV_VALUE_BYTES=1024 KV_LABEL="$system-$op" \
    KV_PCT_FILE="$RESULTS/pct/$section-$system-$op.txt" \
    wrk -t "$threads" -c "$WRK_CONNECTIONS" -d "${WRK_SECONDS}s" --timeout 5s \
      -s "$ROOT/tools/bench/kv_http.lua" "http://${targets%%,*}/" | grep '^label=')
  bench_log "$section $system $op #$rep: $line"
  local errors non2xx
  errors=$(bench_field errors "$line"); non2xx=$(bench_field non2xx "$line")
  [ "$errors" = 0 ] && [ "$non2xx" = 0 ] || bench_log "WARNING: $system $op: $errors errors, $non2xx non-2xx"
  raw "$section" "$op 1 KiB x$WRK_CONNECTIONS conns" "$system" "$rep" "$(bench_field rps "$line")" \
    "$(bench_field p50_ms "$line")" "$(bench_field p99_ms "$line")" "$(bench_field p999_ms "$line")"
}

section_cluster() {
  start_etcd etcd 3
  local etcd_pids=("${ETCD_PIDS[@]}")
  start_kvnodes kvnode-cluster 3 "" --n 3 --r 2 --w 2 --durability sync
  local kv_pids=("${KVNODE_PIDS[@]}") rep op
  for rep in $(seq 1 "$REPEAT"); do
    for op in put get; do  # puts first: they leave every key present for the gets
      wrk_run cluster etcd "$rep" "$op" "$ETCD_HTTP"
      wrk_run cluster kvnode "$rep" "$op" "$KVNODE_HTTP"
    done
  done
  for op in put get; do
    compare_row cluster "$op 1 KiB x$WRK_CONNECTIONS conns" etcd "etcd 3.4, 3 members (HTTP gateway)"
  done
  bench_stop "${etcd_pids[@]}" "${kv_pids[@]}"
}

# openloop_run SYSTEM REP RATE TARGETS [--preload]
openloop_run() {
  local system="$1" rep="$2" rate="$3" targets="$4"; shift 4
  local out
  out=$("$OPENLOOP" --target "$targets" --rate "$rate" --duration "$OL_SECONDS" \
    --warmup "$OL_WARMUP" --mix 80/15/5 --value-bytes 1024 --keys 10000 \
    --connections "$OL_CONNECTIONS" --label "$system" --seed "$rep" --queue-max "$((rate * 5))" \
    --percentiles "$RESULTS/pct/openloop-$system-$rate.txt" "$@") ||
    bench_log "WARNING: openloop $system at $rate/s exited with an error (overloaded or errors)"
  bench_log "openloop $system $rate/s #$rep:"$'\n'"$out"
  local summary kind line all_ops achieved
  summary=$(grep ' target_rate=' <<<"$out" || true)
  achieved=$(bench_field achieved_rate "$summary")
  if [ "$(bench_field overloaded "$summary")" = 1 ]; then
    bench_row openloop "$rate/s, run $rep" "" "" \
      "$system OVERLOADED: served $(bench_field served_rate "$summary") ops/s of $rate offered" \
      "stopped once 5 s of requests queued"
  fi
  all_ops=$(bench_field ops "$(grep ' kind=all ' <<<"$out" || true)")
  [ "${all_ops:-0}" -gt 0 ] || return 0
  for kind in all get set del; do
    line=$(grep " kind=$kind " <<<"$out" || true)
    [ -n "$line" ] && [ -n "$achieved" ] || continue
    # Achieved ops/s of this kind: its share of the achieved rate.
    raw openloop "$kind @ $rate/s" "$system" "$rep" \
      "$(awk -v n="$(bench_field ops "$line")" -v a="$all_ops" -v r="$achieved" \
         'BEGIN { printf "%.1f", (a > 0 ? r * n / a : 0) }')" \
      "$(bench_field p50_ms "$line")" "$(bench_field p99_ms "$line")" "$(bench_field p999_ms "$line")"
  done
}

section_openloop() {
  [ -x "$OPENLOOP" ] || bench_die "no openloop at $OPENLOOP (ninja -C $BUILD_DIR openloop)"
  start_redis redis-openloop $((B + 190)) everysec ""
  local redis_pid="$REDIS_PID" redis_resp="127.0.0.1:$((B + 190))"
  start_kvnodes kvnode-openloop 3 "" --n 3 --r 2 --w 2 --durability sync
  local kv_pids=("${KVNODE_PIDS[@]}") rep kind rate preload=--preload
  for rate in $OL_RATES; do
    for rep in $(seq 1 "$REPEAT"); do
      openloop_run redis "$rep" "$rate" "$redis_resp" $preload
      openloop_run kvnode "$rep" "$rate" "$KVNODE_RESP" $preload
      preload=""
    done
    for kind in all get set del; do
      compare_row openloop "$kind @ $rate/s" redis "Redis 7, 1 node, everysec (reference)"
    done
  done
  bench_stop "$redis_pid" "${kv_pids[@]}"
}

section_sim() {
  local bench="$BUILD_DIR/tests/bench/kv_cluster_bench"
  [ -x "$bench" ] || bench_die "no kv_cluster_bench at $bench (ninja -C $BUILD_DIR kv_cluster_bench)"
  local json
  json=$("$bench" --benchmark_filter=BM_ClientOperations --benchmark_format=json 2>/dev/null)
  local name ops
  while read -r name ops; do
    raw sim "$name" kvsim 1 "$ops" "" ""
    bench_row sim "$name (5 nodes, N=3, RocksDB on the simulated disk)" "-" "-" \
      "$(printf "%'.0f" "$ops") simulated client ops per wall second" "-"
  done < <(jq -r '.benchmarks[] | "\(.name) \(.ops_per_wall_second)"' <<<"$json")
}

# rss_of PID: "resident_MiB peak_resident_MiB".
rss_of() {
  awk '/^VmRSS/ { rss = $2 } /^VmHWM/ { hwm = $2 } END { printf "%.0f %.0f\n", rss / 1024, hwm / 1024 }' \
    "/proc/$1/status"
}

section_rss() {
  [ -x "$OPENLOOP" ] || bench_die "no openloop at $OPENLOOP (ninja -C $BUILD_DIR openloop)"
  start_redis redis-rss $((B + 191)) everysec ""
  local redis_pid="$REDIS_PID"
  "$OPENLOOP" --target "127.0.0.1:$((B + 191))" --keys "$RSS_KEYS" --value-bytes 1024 \
    --connections 8 --preload-only --label redis-rss >&2
  local redis_rss; redis_rss=$(rss_of "$redis_pid")
  bench_stop "$redis_pid"
  start_kvnodes kvnode-rss 1 "" --n 1 --r 1 --w 1 --durability interval --sync-interval 1s
  local kv_pid="${KVNODE_PIDS[0]}"
  "$OPENLOOP" --target "$KVNODE_RESP" --keys "$RSS_KEYS" --value-bytes 1024 \
    --connections 8 --preload-only --label kvnode-rss >&2
  sleep 2
  local kv_rss; kv_rss=$(rss_of "$kv_pid")
  bench_stop "$kv_pid"
  bench_log "rss (MiB, resident and peak): redis $redis_rss; kvnode $kv_rss"
  local r k
  r=$(awk '{ print $1 }' <<<"$redis_rss"); k=$(awk '{ print $1 }' <<<"$kv_rss")
  raw rss "RSS $RSS_KEYS keys x 1 KiB" redis 1 "$r" "" ""
  raw rss "RSS $RSS_KEYS keys x 1 KiB" kvnode 1 "$k" "" ""
  bench_row rss "resident memory, $RSS_KEYS keys of 1 KiB (MiB)" "Redis 7" \
    "$r MiB (peak $(awk '{ print $2 }' <<<"$redis_rss"))" \
    "$k MiB (peak $(awk '{ print $2 }' <<<"$kv_rss"))" "$(bench_ratio "$k" "$r")"
}

machine() {
  echo "- machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) CPUs," \
    "$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM," \
    "$(uname -sr); load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- versions: $(redis-server --version | grep -o 'v=[^ ]*' | sed 's/v=/Redis /'), $(etcd --version | head -1)," \
    "$(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), kvnode at $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')" \
    "($(basename "$BUILD_DIR") build)"
  echo "- date: $(date -u +%Y-%m-%dT%H:%MZ); REPEAT=$REPEAT interleaved runs per figure (means)"
}

main() {
  local sections=("$@")
  [ ${#sections[@]} -gt 0 ] || sections=(single always cluster openloop sim rss)
  bench_install
  bench_init
  mkdir -p "$RESULTS/pct"
  : >"$RESULTS/raw.csv"
  : >"$RESULTS/table.md.part"
  local machine_text; machine_text="$(machine)"
  local s
  for s in "${sections[@]}"; do
    bench_log "== $s"
    case "$s" in
      single) single_node single everysec interval "3 1024" ;;
      always) single_node always always sync "3 1024" ;;
      cluster) section_cluster ;;
      openloop) section_openloop ;;
      sim) section_sim ;;
      rss) section_rss ;;
      *) bench_die "unknown section $s (single always cluster openloop sim rss)" ;;
    esac
  done
  {
    echo "$machine_text"
    echo
    echo "| section | test | peer | peer figures | kvnode figures | kvnode/peer (ops/s; MiB for rss) |"
    echo "|---|---|---|---|---|---|"
    cat "$RESULTS/table.md.part"
  } >"$RESULTS/table.md"
  rm -f "$RESULTS/table.md.part"
  "$ROOT/tools/bench/plot.sh" "$RESULTS" || bench_log "WARNING: no plot"
  cat "$RESULTS/table.md"
}

main "$@"
